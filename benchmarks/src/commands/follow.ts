/**
 * One job: measure how long a follower in another process takes to receive a record after its
 * append was acknowledged (issue 12's targets: median under 2 ms, p99 under 10 ms, at 1,000 and
 * 100,000 appends/s), and what an idle follower costs.
 *
 * `follow` (this process) is the writer: for each rate it opens a fresh log, starts
 * `follow-reader` in a child process (a reader without `durable`: HEAD, the directory watch and
 * the poll), waits until it follows, then appends open-loop at the rate (every millisecond the
 * appends owed so far), noting when each append resolves. The child notes when each record arrives.
 * Both use process.hrtime (CLOCK_MONOTONIC, the same clock in every process on the machine), so
 * latency = arrival - acknowledgement, per record. After the appends, the child stays following an
 * idle log for `--idle-seconds` and reports its CPU (utime + stime from /proc) over that time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openLog } from '@seglog/store';
import { openReader } from '@seglog/reader';
import { positiveInteger, positiveNumber } from '../lib/args.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Command } from './command.js';

const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));
const nowNanos = (): number => Number(process.hrtime.bigint());

interface ReaderReport {
  readonly arrivals: number[];
  readonly idleCpuPercent: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
}

async function runRate(rate: number, seconds: number, idleSeconds: number): Promise<string> {
  return withTempDir(async (dir) => {
    const log = await openLog({ dir });
    const total = Math.round(rate * seconds);
    const args = [mainScript, 'follow-reader', dir, String(total), String(idleSeconds)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    while (!stdout.includes('ready\n')) {
      if (child.exitCode !== null) throw new Error('follow-reader exited before following');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const acks = new Array<number>(total).fill(0);
    const payload = new Uint8Array(100).fill(7);
    const start = nowNanos();
    const pending: Promise<void>[] = [];
    let issued = 0;
    while (issued < total) {
      const owed = Math.min(total, Math.floor(((nowNanos() - start) / 1e9) * rate) + 1);
      const noteAck = (offset: number): void => void (acks[offset] = nowNanos());
      for (; issued < owed; issued++) pending.push(log.append(payload).then(noteAck));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all(pending);
    const code = await exited;
    await log.close();
    if (code !== 0) throw new Error(`follow-reader exited with ${code}`);
    const report = JSON.parse(stdout.slice(stdout.indexOf('\n') + 1)) as ReaderReport;
    const latencies = report.arrivals.map((arrival, offset) => (arrival - acks[offset]!) / 1e6).sort((a, b) => a - b);
    const fmt = (ms: number): string => ms.toFixed(2).padStart(8);
    return `${String(rate).padStart(8)}/s ${String(total).padStart(8)} ${fmt(percentile(latencies, 0.5))} ${fmt(percentile(latencies, 0.99))} ${fmt(latencies[latencies.length - 1]!)} ${report.idleCpuPercent.toFixed(3).padStart(10)}%`;
  });
}

export const followCommand: Command = {
  name: 'follow',
  summary: 'follow latency: append acknowledged -> record received by a follower in another process; idle follower CPU',
  usage: 'usage: main.js follow [--rates 1000,100000] [--seconds 3] [--idle-seconds 3]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { rates: { type: 'string' }, seconds: { type: 'string' }, 'idle-seconds': { type: 'string' } } });
    const rates = (values.rates ?? '1000,100000').split(',').map((text) => positiveInteger(text, '--rates'));
    const seconds = positiveNumber(values.seconds, '--seconds', 3);
    const idleSeconds = positiveNumber(values['idle-seconds'], '--idle-seconds', 3);
    console.log(`follower in another process (HEAD + directory watch + poll); latency in ms from acknowledgement to arrival`);
    console.log(`    rate  records      p50      p99      max  idle CPU (of one core)`);
    for (const rate of rates) console.log(await runRate(rate, seconds, idleSeconds));
  },
};

/** The child: follows `dir` until `total` records arrived, then idles `idleSeconds` and reports. */
export const followReaderCommand: Command = {
  name: 'follow-reader',
  summary: '(internal) the follower process of `follow`',
  usage: 'usage: main.js follow-reader <dir> <records> <idle-seconds>',
  async run(argv) {
    const [dir, totalText, idleText] = argv;
    const total = positiveInteger(totalText, 'records');
    const idleSeconds = positiveNumber(idleText, 'idle-seconds');
    const reader = await openReader({ dir: dir! });
    const arrivals = new Array<number>(total).fill(0);
    const controller = new AbortController();
    let received = 0;
    let idleStart: { cpu: NodeJS.CpuUsage; at: number } | null = null;
    const follow = (async () => {
      for await (const record of reader.read({ from: 0, follow: true, signal: controller.signal })) {
        arrivals[record.offset] = nowNanos();
        if (++received === total) idleStart = { cpu: process.cpuUsage(), at: nowNanos() };
      }
    })().catch((error: unknown) => {
      if ((error as Error).name !== 'AbortError') throw error;
    });
    process.stdout.write('ready\n');
    while (idleStart === null) await new Promise((resolve) => setTimeout(resolve, 20));
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    const { cpu, at } = idleStart as { cpu: NodeJS.CpuUsage; at: number };
    const used = process.cpuUsage(cpu);
    const idleCpuPercent = ((used.user + used.system) / ((nowNanos() - at) / 1e3)) * 100;
    controller.abort();
    await follow;
    await reader.close();
    process.stdout.write(`${JSON.stringify({ arrivals, idleCpuPercent } satisfies ReaderReport)}\n`);
  },
};
