/**
 * One job: the BullMQ benchmark of issue 14 as a command: `bullmq` runs BullMQ's own classes on
 * each backend (seglog, Redis with appendfsync always, Redis with everysec (not durable),
 * BullMQ's PostgreSQL backend) at each worker concurrency, `--runs` times in rotating order, each
 * measurement in a fresh child process (`bullmq-run`) with a fresh directory and its own server,
 * and prints the medians of jobs/s and client CPU per job, and whether seglog meets the targets
 * (>= 3x Redis always, faster than Redis everysec). The suite runs it as a cell
 * (bullmq/suite-cell.ts) through the same functions.
 *
 * Run it alone: `flock /tmp/seglog-bench.lock node benchmarks/dist/main.js bullmq`.
 */
import { parseArgs } from 'node:util';
import { nonNegativeInteger, positiveInteger } from '../lib/args.js';
import { measurePeerInChild, runPeerChild } from '../lib/peer-child.js';
import type { BullmqPeerDefinition } from '../bullmq/peers.js';
import type { BullmqResult, BullmqShape } from '../bullmq/run.js';
import type { Command } from './command.js';

/** Loaded on use: BullMQ and its drivers stay out of every other command's start-up. */
async function peers(): Promise<readonly BullmqPeerDefinition[]> {
  return (await import('../bullmq/peers.js')).bullmqPeers;
}

export interface BullmqBenchSettings {
  /** Jobs measured per run, after `warmupJobs` unmeasured ones in the same process. */
  readonly jobs: number;
  readonly warmupJobs: number;
  readonly runs: number;
  readonly concurrencies: readonly number[];
  /** Peer names to run (seglog, redis-always, redis-everysec, postgres). */
  readonly peers: readonly string[];
}

export const bullmqBenchDefaults: BullmqBenchSettings = {
  jobs: 5000,
  warmupJobs: 1000,
  runs: 3,
  concurrencies: [1, 16, 64],
  peers: ['seglog', 'redis-always', 'redis-everysec', 'postgres'],
};

export interface BullmqCell {
  readonly peer: string;
  readonly concurrency: number;
  readonly runs: BullmqResult[];
}

export interface BullmqFigures {
  readonly settings: BullmqBenchSettings;
  readonly cells: readonly BullmqCell[];
  /** Peer -> why it did not run (its server or package is missing). */
  readonly skipped: Readonly<Record<string, string>>;
  /** Peer -> durable or not, and how it is set up, for the table's notes. */
  readonly durability: Readonly<Record<string, string>>;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number): number => sorted[index] ?? Number.NaN;
  return sorted.length % 2 === 1 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

/** Median jobs/s of `peer` at `concurrency`; NaN when it did not run. */
export function medianJobsPerSecond(figures: BullmqFigures, peer: string, concurrency: number): number {
  const cell = figures.cells.find((c) => c.peer === peer && c.concurrency === concurrency);
  return median((cell?.runs ?? []).map((r) => r.jobsPerSecond));
}

function medianCpu(figures: BullmqFigures, peer: string, concurrency: number): number {
  const cell = figures.cells.find((c) => c.peer === peer && c.concurrency === concurrency);
  return median((cell?.runs ?? []).map((r) => r.clientCpuMicrosPerJob));
}

/** Every (peer, concurrency) cell `runs` times; each round starts at another peer (load drifts hit all alike). */
export async function runBullmqBench(settings: BullmqBenchSettings): Promise<BullmqFigures> {
  const all = await peers();
  const chosen = all.filter((peer) => settings.peers.includes(peer.name));
  const skipped: Record<string, string> = {};
  for (const peer of chosen) {
    const reason = await peer.unavailableReason();
    if (reason !== null) skipped[peer.name] = reason;
  }
  const live = chosen.filter((peer) => skipped[peer.name] === undefined);
  const cells: BullmqCell[] = [];
  for (const concurrency of settings.concurrencies) {
    for (const peer of live) cells.push({ peer: peer.name, concurrency, runs: [] });
  }
  for (let round = 0; round < settings.runs; round += 1) {
    for (const concurrency of settings.concurrencies) {
      for (let i = 0; i < live.length; i += 1) {
        const peer = live[(i + round) % live.length];
        if (peer === undefined) continue;
        const label = `  round ${round + 1}/${settings.runs} c=${concurrency} ${peer.name}`;
        const shape: BullmqShape = { jobs: settings.jobs, concurrency, warmupJobs: settings.warmupJobs };
        try {
          const result = await runPeerChild<BullmqResult>('bullmq-run', peer.name, shape);
          cells.find((cell) => cell.peer === peer.name && cell.concurrency === concurrency)?.runs.push(result);
          console.error(`${label}: ${Math.round(result.jobsPerSecond)} jobs/s`);
        } catch (error) {
          // One failed measurement (a server that would not start) is reported and left out, not fatal.
          console.error(`${label}: failed, left out: ${String(error)}`);
        }
      }
    }
  }
  const durability = Object.fromEntries(chosen.map((peer) => [peer.name, peer.durability]));
  return { settings, cells, skipped, durability };
}

export interface BullmqTargetRow {
  readonly target: string;
  readonly required: string;
  /** The ratio, or null when a side did not run. */
  readonly ratio: number | null;
  readonly met: boolean | null;
}

/** Issue 14's targets at every concurrency: >= 3x redis-always, and faster than redis-everysec. */
export function judgeBullmqTargets(figures: BullmqFigures): BullmqTargetRow[] {
  const rows: BullmqTargetRow[] = [];
  const ratioOf = (peer: string, concurrency: number): number | null => {
    const value = medianJobsPerSecond(figures, 'seglog', concurrency) / medianJobsPerSecond(figures, peer, concurrency);
    return Number.isFinite(value) ? value : null;
  };
  for (const concurrency of figures.settings.concurrencies) {
    const always = ratioOf('redis-always', concurrency);
    rows.push({
      target: `BullMQ at concurrency ${concurrency}: jobs/s vs Redis appendfsync always`,
      required: '>= 3x',
      ratio: always,
      met: always === null ? null : always >= 3,
    });
    const everysec = ratioOf('redis-everysec', concurrency);
    rows.push({
      target: `BullMQ at concurrency ${concurrency}: jobs/s vs Redis appendfsync everysec (not durable)`,
      required: '> 1x',
      ratio: everysec,
      met: everysec === null ? null : everysec > 1,
    });
  }
  return rows;
}

/** The Markdown table: jobs/s and client CPU per job per peer and concurrency, ratios, skipped peers, targets. */
export function renderBullmqBench(figures: BullmqFigures): string {
  const { settings } = figures;
  const ran = [...new Set(figures.cells.filter((cell) => cell.runs.length > 0).map((cell) => cell.peer))];
  const lines = [
    `BullMQ 6.7.6 classes, add + process + complete of ${settings.jobs} jobs of 128-byte data (addBulk of 64 while one ` +
      `Worker runs) after ${settings.warmupJobs} unmeasured warm-up jobs, medians of ${settings.runs} runs (jobs/s; ` +
      'client CPU µs/job):',
    '',
    `| concurrency | ${ran.join(' | ')} | seglog / redis-always | seglog / redis-everysec |`,
    `| ---: | ${ran.map(() => '---:').join(' | ')} | ---: | ---: |`,
  ];
  const ratio = (peer: string, concurrency: number): string => {
    const value = medianJobsPerSecond(figures, 'seglog', concurrency) / medianJobsPerSecond(figures, peer, concurrency);
    return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
  };
  for (const concurrency of settings.concurrencies) {
    const shown = ran.map((peer) => {
      const rate = medianJobsPerSecond(figures, peer, concurrency);
      return Number.isNaN(rate) ? 'failed' : `${Math.round(rate)} (${Math.round(medianCpu(figures, peer, concurrency))} µs)`;
    });
    lines.push(`| ${concurrency} | ${shown.join(' | ')} | ${ratio('redis-always', concurrency)} | ${ratio('redis-everysec', concurrency)} |`);
  }
  for (const [peer, reason] of Object.entries(figures.skipped)) lines.push('', `${peer}: skipped: ${reason}`);
  lines.push('', ...ran.map((peer) => `- ${peer}: ${figures.durability[peer] ?? ''}`));
  const judged = judgeBullmqTargets(figures).map((row) => {
    const status = row.met === null ? 'not judged (a peer did not run)' : `${row.ratio!.toFixed(2)}x: ${row.met ? 'met' : 'NOT met'}`;
    return `- ${row.target} ${row.required}: ${status}`;
  });
  lines.push('', 'targets (issue 14):', ...judged);
  return lines.join('\n');
}

export const bullmqBenchCommand: Command = {
  name: 'bullmq',
  summary: 'BullMQ on seglog vs on Redis (appendfsync always / everysec) vs its PostgreSQL backend: add + process + complete',
  usage:
    'usage: main.js bullmq [--jobs 5000] [--warmup-jobs 1000] [--runs 3] [--concurrency 1,16,64] ' +
    '[--peers seglog,redis-always,redis-everysec,postgres] [--json FILE]',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        jobs: { type: 'string' },
        'warmup-jobs': { type: 'string' },
        runs: { type: 'string' },
        concurrency: { type: 'string' },
        peers: { type: 'string' },
        json: { type: 'string' },
      },
    });
    const defaults = bullmqBenchDefaults;
    const settings: BullmqBenchSettings = {
      jobs: positiveInteger(values.jobs, '--jobs', defaults.jobs),
      warmupJobs: nonNegativeInteger(values['warmup-jobs'], '--warmup-jobs', defaults.warmupJobs),
      runs: positiveInteger(values.runs, '--runs', defaults.runs),
      concurrencies: values.concurrency === undefined
        ? defaults.concurrencies
        : values.concurrency.split(',').map((c) => positiveInteger(c, '--concurrency')),
      peers: values.peers === undefined ? defaults.peers : values.peers.split(','),
    };
    const figures = await runBullmqBench(settings);
    console.log(renderBullmqBench(figures));
    if (values.json !== undefined) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(values.json, `${JSON.stringify({ ...figures, targets: judgeBullmqTargets(figures) }, null, 2)}\n`);
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
