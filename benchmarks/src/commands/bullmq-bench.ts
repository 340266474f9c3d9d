/**
 * One job: the BullMQ benchmark of issue 14 as a command: `bullmq` runs BullMQ's own classes on
 * each backend (seglog embedded, seglog in an owner process over the socket, Redis with appendfsync
 * always, Redis with everysec (not durable), BullMQ's PostgreSQL backend) at each worker
 * concurrency, `--runs` times in rotating order, each measurement in a fresh child process
 * (`bullmq-run`) with a fresh directory and its own server, and prints the medians of jobs/s and
 * CPU per job, and whether seglog meets the targets (>= 3x Redis always, faster than Redis
 * everysec). It also measures, in the same run, the bare O_DSYNC write loop of the disk the logs
 * are on, and prints the concurrency-1 ceiling (one flush plus the serial CPU of one job) beside
 * the 3x row. The suite runs it as a cell (bullmq/suite-cell.ts) through the same functions.
 *
 * Run it alone: `flock /tmp/seglog-bench.lock node benchmarks/dist/main.js bullmq`.
 */
import { parseArgs } from 'node:util';
import { nonNegativeInteger, positiveInteger } from '../lib/args.js';
import { measureAsyncDsyncWrites } from '../lib/device-ceiling.js';
import { withTempDir } from '../lib/tmpdir.js';
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
  /** Peer names to run (seglog, seglog-socket, redis-always, redis-everysec, postgres). */
  readonly peers: readonly string[];
}

/** The embedded backend and the owner-process one: each is compared with the peers. */
export const seglogPeerNames = ['seglog', 'seglog-socket'] as const;

export const bullmqBenchDefaults: BullmqBenchSettings = {
  jobs: 5000,
  warmupJobs: 1000,
  runs: 3,
  concurrencies: [1, 16, 64],
  peers: ['seglog', 'seglog-socket', 'redis-always', 'redis-everysec', 'postgres'],
};

/** Seconds of the bare O_DSYNC write loop, before and after the measurements. */
const flushProbeSeconds = 1;

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
  /**
   * The bare asynchronous 4 KiB O_DSYNC pwrite loop (one in flight) on the file system the logs
   * are on, before and after the measurements: the cost of one flush on this device. Absent from
   * results written before it was measured.
   */
  readonly flushProbe?: { readonly before: FlushProbe; readonly after: FlushProbe };
}

export interface FlushProbe {
  readonly writesPerSecond: number;
  readonly meanMicros: number;
  readonly p50Micros: number;
  /** The CPU one flush costs the process (the kernel's share of a synced write is in its system time). */
  readonly cpuMicros: number;
}

async function probeFlush(): Promise<FlushProbe> {
  const figures = await withTempDir((dir) => measureAsyncDsyncWrites(dir, flushProbeSeconds));
  return {
    writesPerSecond: figures.writesPerSecond,
    meanMicros: figures.latencyMicros.mean,
    p50Micros: figures.latencyMicros.p50,
    cpuMicros: figures.cpuMicrosPerWrite,
  };
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

/** Median CPU per job of the peer's own server process (seglog-socket's owner); NaN where not counted. */
function medianServerCpu(figures: BullmqFigures, peer: string, concurrency: number): number {
  const cell = figures.cells.find((c) => c.peer === peer && c.concurrency === concurrency);
  const counted = (cell?.runs ?? []).flatMap((r) => r.serverCpuMicrosPerJob ?? []);
  return median(counted);
}

export interface ConcurrencyOneCeiling {
  /** One flush on this device: the mean latency of the bare O_DSYNC loop (before and after, averaged). */
  readonly flushMicros: number;
  /**
   * The embedded seglog's CPU per job at concurrency 1 (BullMQ's classes, the producer and the
   * backend, one thread) less the CPU of the one flush per job, which the flush time already counts.
   */
  readonly cpuMicros: number;
  /** 1 / (flush + CPU): the serial chain of a job when nothing overlaps it. */
  readonly serialJobsPerSecond: number;
  /** 1 / max(flush, CPU): no overlap can beat this (one flush per job, one thread's CPU). */
  readonly boundJobsPerSecond: number;
  /** Redis always at concurrency 1, and 3x it (the target). */
  readonly redisAlways: number;
}

/**
 * At concurrency 1 a job's completion (with the next fetch) is a durable record nothing else
 * shares, so the worker waits one flush per job, and between flushes the process spends its CPU
 * per job; jobs/s <= 1 / (flush + serial CPU). Null when the probe or a peer did not run.
 */
export function concurrencyOneCeiling(figures: BullmqFigures): ConcurrencyOneCeiling | null {
  const probe = figures.flushProbe;
  if (probe === undefined || !figures.settings.concurrencies.includes(1)) return null;
  const flushMicros = (probe.before.meanMicros + probe.after.meanMicros) / 2;
  const flushCpuMicros = (probe.before.cpuMicros + probe.after.cpuMicros) / 2;
  const cpuMicros = Math.max(0, medianCpu(figures, 'seglog', 1) - flushCpuMicros);
  const redisAlways = medianJobsPerSecond(figures, 'redis-always', 1);
  if (!Number.isFinite(cpuMicros) || !Number.isFinite(flushMicros)) return null;
  return {
    flushMicros,
    cpuMicros,
    serialJobsPerSecond: 1e6 / (flushMicros + cpuMicros),
    boundJobsPerSecond: 1e6 / Math.max(flushMicros, cpuMicros),
    redisAlways,
  };
}

function renderCeiling(ceiling: ConcurrencyOneCeiling | null): string[] {
  if (ceiling === null) return [];
  const vsRedis = (rate: number): string =>
    Number.isFinite(ceiling.redisAlways) ? ` = ${(rate / ceiling.redisAlways).toFixed(2)}x redis-always` : '';
  const reachable = Number.isFinite(ceiling.redisAlways)
    ? (ceiling.serialJobsPerSecond >= 3 * ceiling.redisAlways ? 'reachable' : 'NOT reachable')
    : 'not judged (redis-always did not run)';
  return [
    `- concurrency 1 ceiling on this device: one flush ${Math.round(ceiling.flushMicros)} µs (bare O_DSYNC 4 KiB write loop, ` +
      `mean of before and after) + seglog's CPU per job at c=1 less that flush's own CPU ${Math.round(ceiling.cpuMicros)} µs: ` +
      `1 / (flush + CPU) = ${Math.round(ceiling.serialJobsPerSecond)} jobs/s${vsRedis(ceiling.serialJobsPerSecond)}; ` +
      `with full overlap 1 / max(flush, CPU) = ${Math.round(ceiling.boundJobsPerSecond)} jobs/s${vsRedis(ceiling.boundJobsPerSecond)}. ` +
      `3x at c=1 is ${reachable} at this CPU per job.`,
  ];
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
  const before = await probeFlush();
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
  const after = await probeFlush();
  return { settings, cells, skipped, durability, flushProbe: { before, after } };
}

export interface BullmqTargetRow {
  readonly target: string;
  readonly required: string;
  /** The ratio, or null when a side did not run. */
  readonly ratio: number | null;
  readonly met: boolean | null;
}

/**
 * Issue 14's targets at every concurrency: >= 3x redis-always, and faster than redis-everysec, for
 * the embedded backend and (where it ran) the owner-process one.
 */
export function judgeBullmqTargets(figures: BullmqFigures): BullmqTargetRow[] {
  const rows: BullmqTargetRow[] = [];
  const ratioOf = (ours: string, peer: string, concurrency: number): number | null => {
    const value = medianJobsPerSecond(figures, ours, concurrency) / medianJobsPerSecond(figures, peer, concurrency);
    return Number.isFinite(value) ? value : null;
  };
  const socketRan = figures.cells.some((cell) => cell.peer === 'seglog-socket' && cell.runs.length > 0);
  const ours = socketRan ? seglogPeerNames : (['seglog'] as const);
  for (const concurrency of figures.settings.concurrencies) {
    for (const name of ours) {
      const label = name === 'seglog' ? 'BullMQ' : 'BullMQ, owner process over the socket,';
      const always = ratioOf(name, 'redis-always', concurrency);
      rows.push({
        target: `${label} at concurrency ${concurrency}: jobs/s vs Redis appendfsync always`,
        required: '>= 3x',
        ratio: always,
        met: always === null ? null : always >= 3,
      });
      const everysec = ratioOf(name, 'redis-everysec', concurrency);
      rows.push({
        target: `${label} at concurrency ${concurrency}: jobs/s vs Redis appendfsync everysec (not durable)`,
        required: '> 1x',
        ratio: everysec,
        met: everysec === null ? null : everysec > 1,
      });
    }
  }
  return rows;
}

/** The Markdown table: jobs/s and CPU per job per peer and concurrency, ratios, skipped peers, targets, c=1 ceiling. */
export function renderBullmqBench(figures: BullmqFigures): string {
  const { settings } = figures;
  const ran = [...new Set(figures.cells.filter((cell) => cell.runs.length > 0).map((cell) => cell.peer))];
  const ours = seglogPeerNames.filter((name) => ran.includes(name));
  const ratioHeads = ours.flatMap((name) => [`${name} / redis-always`, `${name} / redis-everysec`]);
  const lines = [
    `BullMQ 6.7.6 classes, add + process + complete of ${settings.jobs} jobs of 128-byte data (addBulk of 64 while one ` +
      `Worker runs) after ${settings.warmupJobs} unmeasured warm-up jobs, medians of ${settings.runs} runs (jobs/s; ` +
      'CPU µs/job of the measuring process, plus the owner process\'s for seglog-socket):',
    '',
    `| concurrency | ${[...ran, ...ratioHeads].join(' | ')} |`,
    `| ---: | ${[...ran, ...ratioHeads].map(() => '---:').join(' | ')} |`,
  ];
  const ratio = (name: string, peer: string, concurrency: number): string => {
    const value = medianJobsPerSecond(figures, name, concurrency) / medianJobsPerSecond(figures, peer, concurrency);
    return Number.isFinite(value) ? `${value.toFixed(2)}x` : 'n/a';
  };
  for (const concurrency of settings.concurrencies) {
    const shown = ran.map((peer) => {
      const rate = medianJobsPerSecond(figures, peer, concurrency);
      if (Number.isNaN(rate)) return 'failed';
      const server = medianServerCpu(figures, peer, concurrency);
      const client = Math.round(medianCpu(figures, peer, concurrency));
      return `${Math.round(rate)} (${Number.isNaN(server) ? client : `${client} + ${Math.round(server)}`} µs)`;
    });
    const ratios = ours.flatMap((name) => [ratio(name, 'redis-always', concurrency), ratio(name, 'redis-everysec', concurrency)]);
    lines.push(`| ${concurrency} | ${[...shown, ...ratios].join(' | ')} |`);
  }
  for (const [peer, reason] of Object.entries(figures.skipped)) lines.push('', `${peer}: skipped: ${reason}`);
  lines.push('', ...ran.map((peer) => `- ${peer}: ${figures.durability[peer] ?? ''}`));
  const judged = judgeBullmqTargets(figures).map((row) => {
    const status = row.met === null ? 'not judged (a peer did not run)' : `${row.ratio!.toFixed(2)}x: ${row.met ? 'met' : 'NOT met'}`;
    return `- ${row.target} ${row.required}: ${status}`;
  });
  const ceiling = renderCeiling(concurrencyOneCeiling(figures));
  const firstOther = judged.findIndex((line) => !line.includes('concurrency 1:'));
  const at = firstOther === -1 ? judged.length : firstOther;
  lines.push('', 'targets (issue 14):', ...judged.slice(0, at), ...ceiling, ...judged.slice(at));
  return lines.join('\n');
}

export const bullmqBenchCommand: Command = {
  name: 'bullmq',
  summary: 'BullMQ on seglog vs on Redis (appendfsync always / everysec) vs its PostgreSQL backend: add + process + complete',
  usage:
    'usage: main.js bullmq [--jobs 5000] [--warmup-jobs 1000] [--runs 3] [--concurrency 1,16,64] ' +
    '[--peers seglog,seglog-socket,redis-always,redis-everysec,postgres] [--json FILE]',
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
      const ceiling = concurrencyOneCeiling(figures);
      await writeFile(values.json, `${JSON.stringify({ ...figures, targets: judgeBullmqTargets(figures), ceiling }, null, 2)}\n`);
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

/** The owner process of the seglog-socket peer (bullmq/owner.ts), forked by that peer's `open`. */
export const bullmqOwnerCommand: Command = {
  name: 'bullmq-owner',
  summary: '(internal) the owner process of the seglog-socket peer of bullmq',
  usage: 'usage: main.js bullmq-owner <dir>   (forked with an IPC channel)',
  async run(argv) {
    const [dir] = argv;
    if (dir === undefined) throw new TypeError('bullmq-owner needs a directory');
    const { runBullmqOwner } = await import('../bullmq/owner.js');
    await runBullmqOwner(dir);
  },
};

/** Allocation sources per job (bullmq/alloc.ts): what the GC share of the profile is made of. */
export const bullmqAllocCommand: Command = {
  name: 'bullmq-alloc',
  summary: 'bytes allocated per job by function (sampling heap profiler, collected objects included), one BullMQ peer',
  usage: 'usage: main.js bullmq-alloc [--peer seglog] [--jobs 20000] [--concurrency 64] [--interval 8192] [--top 30]',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        peer: { type: 'string' },
        jobs: { type: 'string' },
        concurrency: { type: 'string' },
        interval: { type: 'string' },
        top: { type: 'string' },
      },
    });
    const name = values.peer ?? 'seglog';
    const definition = (await peers()).find((peer) => peer.name === name);
    if (definition === undefined) throw new TypeError(`unknown peer ${name}`);
    const jobs = positiveInteger(values.jobs, '--jobs', 20_000);
    const concurrency = positiveInteger(values.concurrency, '--concurrency', 64);
    const { profileAllocations } = await import('../bullmq/alloc.js');
    const figures = await profileAllocations(definition, jobs, concurrency, positiveInteger(values.interval, '--interval', 8192));
    const top = positiveInteger(values.top, '--top', 30);
    console.log(`${name}, ${jobs} jobs at concurrency ${concurrency}: ${Math.round(figures.result.jobsPerSecond)} jobs/s, ` +
      `${Math.round(figures.bytesPerJob)} bytes allocated per job`);
    console.log(['', '| bytes/job | share | allocating function |', '| ---: | ---: | --- |'].join('\n'));
    for (const site of figures.sites.slice(0, top)) {
      console.log(`| ${Math.round(site.bytesPerJob)} | ${(site.share * 100).toFixed(1)}% | \`${site.site}\` |`);
    }
    process.exit(0);
  },
};
