/**
 * One job: measure how long a follower in another process takes to receive a record after its
 * append was acknowledged (issue 12's targets: median under 2 ms, p99 under 10 ms, at 1,000 and
 * 100,000 appends/s), and what an idle follower costs. Used by `main.js follow` and the suite.
 *
 * This process is the writer: for each rate it opens a fresh log, starts `follow-reader` in a
 * child process (a reader without `durable`: it learns the end from HEAD), waits until it follows,
 * then appends open-loop at the rate (every millisecond the appends owed so far), noting when each
 * append resolves. The child notes when each record arrives. Both use process.hrtime
 * (CLOCK_MONOTONIC, the same clock in every process on the machine), so latency = arrival -
 * acknowledgement, per record. The first `warmupSeconds` of appends are not counted: the follower
 * process starts cold (its reader code is not compiled yet), and a follower is a long-running
 * process. After the appends, the child stays following an idle log for `idleSeconds` and reports
 * its CPU (user + system) over that time.
 *
 * `wake` picks the follower's wake-up sources: 'push' (the default engine: the writer's socket, the
 * watch while it is not connected, the poll), 'watch' (no socket: directory watch and poll), 'poll'
 * (the poll alone, as on NFS). Running them in one invocation gives an A/B under the same load.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { nodeFileIO } from '@seglog/io';
import { openLog } from '@seglog/store';
import { breakDown, tracingHeadIo, type FollowBreakdown } from './head-trace.js';
import { withTempDir } from './tmpdir.js';

export const wakeModes = ['push', 'watch', 'poll'] as const;
export type WakeMode = (typeof wakeModes)[number];

export interface FollowSettings {
  readonly rates: readonly number[];
  readonly seconds: number;
  /** Appends at the rate before the measured ones (not counted). */
  readonly warmupSeconds: number;
  readonly idleSeconds: number;
  readonly wakes: readonly WakeMode[];
  /** Trace the writer's HEAD writes and flushes and split each latency (lib/head-trace.ts). */
  readonly trace?: boolean;
}

export interface FollowRow {
  readonly wake: WakeMode;
  readonly ratePerSecond: number;
  /** Records measured (after the warm-up ones). */
  readonly records: number;
  readonly p50Millis: number;
  readonly p99Millis: number;
  readonly maxMillis: number;
  /** User + system CPU of the idle follower over its idle time, in % of one core. */
  readonly idleCpuPercent: number;
  /** CPU of the follower while it received the records, in µs per record. */
  readonly followCpuMicrosPerRecord: number;
  /** With `trace`: where the latency went, and the longest event-loop stalls of both processes (ms). */
  readonly breakdown?: FollowBreakdown & {
    readonly writerLoopMaxMillis: number;
    readonly followerLoopMaxMillis: number;
  };
}

export interface FollowFigures {
  readonly rows: readonly FollowRow[];
}

/** What the child prints as its second line. */
export interface FollowReaderReport {
  readonly arrivals: number[];
  readonly idleCpuPercent: number;
  readonly followCpuMicros: number;
  /** The follower's longest event-loop delay while it received the records, ms. */
  readonly loopDelayMaxMillis?: number;
}

const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));
const nowNanos = (): number => Number(process.hrtime.bigint());

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
}

async function waitForReady(child: ReturnType<typeof spawn>, output: () => string): Promise<void> {
  while (!output().includes('ready\n')) {
    if (child.exitCode !== null) throw new Error('follow-reader exited before following');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function appendAtRate(log: Awaited<ReturnType<typeof openLog>>, rate: number, total: number): Promise<number[]> {
  const acks = new Array<number>(total).fill(0);
  const payload = new Uint8Array(100).fill(7);
  const start = nowNanos();
  const pending: Promise<void>[] = [];
  const noteAck = (offset: number): void => void (acks[offset] = nowNanos());
  let issued = 0;
  while (issued < total) {
    const owed = Math.min(total, Math.floor(((nowNanos() - start) / 1e9) * rate) + 1);
    for (; issued < owed; issued++) pending.push(log.append(payload).then(noteAck));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
  return acks;
}

async function runOne(wake: WakeMode, rate: number, settings: FollowSettings): Promise<FollowRow> {
  return withTempDir(async (dir) => {
    const traced = settings.trace === true ? tracingHeadIo(nodeFileIO) : null;
    const log = await openLog({ dir, ...(traced === null ? {} : { io: traced.io }) });
    const warmup = Math.round(rate * settings.warmupSeconds);
    const total = warmup + Math.round(rate * settings.seconds);
    const args = [mainScript, 'follow-reader', dir, String(total), String(settings.idleSeconds), wake];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitForReady(child, () => stdout);
      const loop = monitorEventLoopDelay({ resolution: 1 });
      loop.enable();
      const acks = await appendAtRate(log, rate, total);
      loop.disable();
      const code = await exited;
      if (code !== 0) throw new Error(`follow-reader exited with ${code}`);
      const report = JSON.parse(stdout.slice(stdout.indexOf('\n') + 1)) as FollowReaderReport;
      const measured = report.arrivals.slice(warmup);
      const latencies = measured.map((arrival, index) => (arrival - acks[warmup + index]!) / 1e6).sort((a, b) => a - b);
      const breakdown =
        traced === null
          ? undefined
          : {
              ...breakDown(traced.trace, warmup, acks.slice(warmup), measured),
              writerLoopMaxMillis: loop.max / 1e6,
              followerLoopMaxMillis: report.loopDelayMaxMillis ?? Number.NaN,
            };
      return {
        wake,
        ratePerSecond: rate,
        records: total - warmup,
        p50Millis: percentile(latencies, 0.5),
        p99Millis: percentile(latencies, 0.99),
        maxMillis: latencies[latencies.length - 1] ?? Number.NaN,
        idleCpuPercent: report.idleCpuPercent,
        followCpuMicrosPerRecord: report.followCpuMicros / total, // warm-up included: a cost, not a latency
        ...(breakdown === undefined ? {} : { breakdown }),
      };
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await log.close();
    }
  });
}

/** Every wake mode at every rate; the modes of one rate run back to back, in rotating order. */
export async function runFollowLatency(
  settings: FollowSettings,
  onRow: (row: FollowRow) => void = () => undefined,
): Promise<FollowFigures> {
  const rows: FollowRow[] = [];
  for (const [index, rate] of settings.rates.entries()) {
    const order = settings.wakes.map((_, at) => settings.wakes[(at + index) % settings.wakes.length]!);
    for (const wake of order) {
      const row = await runOne(wake, rate, settings);
      rows.push(row);
      onRow(row);
    }
  }
  return { rows };
}

export function renderFollowRows(rows: readonly FollowRow[]): string {
  const lines = ['| wake-ups | rate | records | p50 ms | p99 ms | max ms | follower CPU µs/record | idle CPU (of one core) |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'];
  for (const row of rows) {
    lines.push(
      `| ${row.wake} | ${row.ratePerSecond}/s | ${row.records} | ${row.p50Millis.toFixed(2)} | ${row.p99Millis.toFixed(2)} | ${row.maxMillis.toFixed(2)} | ${row.followCpuMicrosPerRecord.toFixed(2)} | ${row.idleCpuPercent.toFixed(3)}% |`,
    );
  }
  return lines.join('\n');
}
