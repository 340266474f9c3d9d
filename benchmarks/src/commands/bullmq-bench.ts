/**
 * One job: the BullMQ benchmark of issue 14 as a command: `bullmq` runs BullMQ's own classes on
 * each backend (seglog, Redis with appendfsync always, Redis with everysec (not durable),
 * BullMQ's PostgreSQL backend) at each worker concurrency, `--runs` times in rotating order, each
 * measurement in a fresh child process (`bullmq-run`) with a fresh directory and its own server,
 * and prints the medians of jobs/s and client CPU per job, and whether seglog meets the targets
 * (>= 3x Redis always, faster than Redis everysec).
 *
 * Run it alone: `flock /tmp/seglog-bench.lock node benchmarks/dist/main.js bullmq`.
 */
import { parseArgs } from 'node:util';
import { positiveInteger } from '../lib/args.js';
import { measurePeerInChild, runPeerChild } from '../lib/peer-child.js';
import type { BullmqPeerDefinition } from '../bullmq/peers.js';
import type { BullmqResult, BullmqShape } from '../bullmq/run.js';
import type { Command } from './command.js';


/** Loaded on use: BullMQ and its drivers stay out of every other command's start-up. */
async function peers(): Promise<readonly BullmqPeerDefinition[]> {
  return (await import('../bullmq/peers.js')).bullmqPeers;
}

interface Cell {
  readonly peer: string;
  readonly concurrency: number;
  readonly runs: BullmqResult[];
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number): number => sorted[index] ?? Number.NaN;
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

function runChild(peer: string, shape: BullmqShape): Promise<BullmqResult> {
  return runPeerChild<BullmqResult>('bullmq-run', peer, shape);
}

/** Every (peer, concurrency) cell `runs` times; each round starts at another peer (load drifts hit all alike). */
async function runAll(
  names: readonly string[],
  concurrencies: readonly number[],
  jobs: number,
  runs: number,
): Promise<{ cells: Cell[]; skipped: Map<string, string> }> {
  const bullmqPeers = await peers();
  const chosen = bullmqPeers.filter((peer) => names.includes(peer.name));
  const skipped = new Map<string, string>();
  for (const peer of chosen) {
    const reason = await peer.unavailableReason();
    if (reason !== null) skipped.set(peer.name, reason);
  }
  const live = chosen.filter((peer) => !skipped.has(peer.name));
  const cells: Cell[] = [];
  for (const concurrency of concurrencies) {
    for (const peer of live) cells.push({ peer: peer.name, concurrency, runs: [] });
  }
  for (let round = 0; round < runs; round += 1) {
    for (const concurrency of concurrencies) {
      for (let i = 0; i < live.length; i += 1) {
        const peer = live[(i + round) % live.length];
        if (peer === undefined) continue;
        const label = `  round ${round + 1}/${runs} c=${concurrency} ${peer.name}`;
        try {
          const result = await runChild(peer.name, { jobs, concurrency });
          cells.find((cell) => cell.peer === peer.name && cell.concurrency === concurrency)?.runs.push(result);
          console.error(`${label}: ${Math.round(result.jobsPerSecond)} jobs/s`);
        } catch (error) {
          // One failed measurement (a server that would not start) is reported and left out, not fatal.
          console.error(`${label}: failed, left out: ${String(error)}`);
        }
      }
    }
  }
  return { cells, skipped };
}

function render(
  bullmqPeers: readonly BullmqPeerDefinition[],
  cells: readonly Cell[],
  skipped: ReadonlyMap<string, string>,
  jobs: number,
  runs: number,
): string {
  const ran = bullmqPeers.filter((p) => cells.some((cell) => cell.peer === p.name));
  const lines = [
    `BullMQ 6.7.6 classes, add + process + complete, ${jobs} jobs of 128-byte data (addBulk of 64 while one Worker runs), ` +
      `medians of ${runs} runs (jobs/s; client CPU µs/job):`,
    '',
    `| concurrency | ${ran.map((p) => p.name).join(' | ')} | seglog / redis-always | seglog / redis-everysec |`,
    `| ---: | ${ran.map(() => '---:').join(' | ')} | ---: | ---: |`,
  ];
  const concurrencies = [...new Set(cells.map((cell) => cell.concurrency))];
  for (const concurrency of concurrencies) {
    const row = cells.filter((cell) => cell.concurrency === concurrency);
    const runsOf = (peer: string): BullmqResult[] => row.find((cell) => cell.peer === peer)?.runs ?? [];
    const rate = (peer: string): number => median(runsOf(peer).map((r) => r.jobsPerSecond));
    const cpu = (peer: string): number => median(runsOf(peer).map((r) => r.clientCpuMicrosPerJob));
    const shown = row.map((cell) => `${Math.round(rate(cell.peer))} (${Math.round(cpu(cell.peer))} µs)`);
    const ratio = (peer: string): string => (Number.isNaN(rate(peer)) ? 'n/a' : `${(rate('seglog') / rate(peer)).toFixed(2)}x`);
    lines.push(`| ${concurrency} | ${shown.join(' | ')} | ${ratio('redis-always')} | ${ratio('redis-everysec')} |`);
  }
  for (const [peer, reason] of skipped) lines.push('', `${peer}: skipped: ${reason}`);
  lines.push('', ...ran.map((p) => `- ${p.name}: ${p.durability}`));
  lines.push('', 'targets: seglog >= 3x redis-always and > redis-everysec at every concurrency');
  return lines.join('\n');
}

export const bullmqBenchCommand: Command = {
  name: 'bullmq',
  summary: 'BullMQ on seglog vs on Redis (appendfsync always / everysec) vs its PostgreSQL backend: add + process + complete',
  usage: 'usage: main.js bullmq [--jobs 2000] [--runs 3] [--concurrency 1,16,64] [--peers seglog,redis-always,redis-everysec,postgres] [--json FILE]',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        jobs: { type: 'string' },
        runs: { type: 'string' },
        concurrency: { type: 'string' },
        peers: { type: 'string' },
        json: { type: 'string' },
      },
    });
    const jobs = positiveInteger(values.jobs ?? '2000', '--jobs');
    const runs = positiveInteger(values.runs ?? '3', '--runs');
    const concurrencies = (values.concurrency ?? '1,16,64').split(',').map((c) => positiveInteger(c, '--concurrency'));
    const bullmqPeers = await peers();
    const names = (values.peers ?? bullmqPeers.map((p) => p.name).join(',')).split(',');
    const { cells, skipped } = await runAll(names, concurrencies, jobs, runs);
    console.log(render(bullmqPeers, cells, skipped, jobs, runs));
    if (values.json !== undefined) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(values.json, `${JSON.stringify({ jobs, runs, cells, skipped: Object.fromEntries(skipped) }, null, 2)}\n`);
    }
  },
};

/** The child: one measurement of one peer in a fresh temporary directory; prints the result as JSON. */
export const bullmqRunCommand: Command = {
  name: 'bullmq-run',
  summary: '(internal) one measurement of one peer for bullmq',
  usage: 'usage: main.js bullmq-run <peer> <shape JSON>',
  async run(argv) {
    const [name, shapeText] = argv;
    const definition = (await peers()).find((peer) => peer.name === name);
    if (definition === undefined || shapeText === undefined) throw new TypeError(`unknown peer ${String(name)}`);
    const shape = JSON.parse(shapeText) as BullmqShape;
    const { measureBullmq } = await import('../bullmq/run.js');
    await measurePeerInChild((dir) => definition.open(dir), (peer) => measureBullmq(peer, shape));
  },
};
