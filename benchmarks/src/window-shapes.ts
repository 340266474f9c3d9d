/**
 * One job: prove the adaptive commit window against fixed windows on real load shapes.
 *
 * For each load shape it runs the adaptive window and fixed windows of 0, 50, 200, 1000 and 5000
 * µs, each on a fresh temporary log on this disk, and reports durable appends/s, latency
 * percentiles (from the moment an append was due to its acknowledgement), fdatasyncs/s and
 * syscalls per append (write-family + sync calls the log issued, from its metrics). Then it checks
 * the targets: adaptive within 10% of the best fixed window (in hindsight) on throughput
 * and p99, and fewer fdatasyncs/s than fixed 0 under moderate load without losing >10% p99.
 *
 * Open-loop shapes generate arrivals on a schedule (Poisson, from a seeded PRNG) with a loop that
 * yields to I/O between arrivals, so arrivals are spread in time as a service's requests are.
 *
 * Each window runs --reps times per shape, in a rotated order so drift of the shared disk falls on
 * every window alike, and the table reports the median of each figure over the repetitions.
 *
 *   pnpm build && node benchmarks/dist/window-shapes.js [--seconds 4] [--reps 3] [--shapes a,b] [--json out.json]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLog } from '@seglog/store';
import type { CommitWindow } from '@seglog/types';
import { median } from './lib/stats.js';

type Rate = (elapsedSeconds: number, durationSeconds: number) => number;

interface Shape {
  readonly name: string;
  readonly description: string;
  /** Open loop: arrivals per second as a function of time. Closed loop: appenders awaiting in turn. */
  readonly open?: Rate;
  readonly closedAppenders?: number;
  /** Start a competing writer on the same disk for the second half. */
  readonly competingWriter?: boolean;
  /** The shape the fdatasyncs/s target is judged on. */
  readonly moderate?: boolean;
}

const SHAPES: Shape[] = [
  { name: 'steady-light', description: 'open loop, 200 appends/s', open: () => 200 },
  { name: 'steady-moderate', description: 'open loop, 3000 appends/s', open: () => 3000, moderate: true },
  { name: 'steady-heavy', description: 'closed loop, 64 appenders', closedAppenders: 64 },
  { name: 'on-off-bursts', description: 'open loop, 8000/s for 200 ms then silent 300 ms', open: (t) => ((t % 0.5) < 0.2 ? 8000 : 0) },
  { name: 'ramp', description: 'open loop, 0 -> 10000/s -> 0 linearly', open: (t, d) => 10_000 * (1 - Math.abs((2 * t) / d - 1)) },
  { name: 'fsync-shift', description: 'open loop 3000/s; a competing writer on the disk in the second half', open: () => 3000, competingWriter: true },
];

const WINDOWS: Array<{ label: string; window: CommitWindow }> = [
  { label: 'adaptive', window: 'adaptive' },
  { label: 'fixed 0', window: { fixedMicros: 0 } },
  { label: 'fixed 50', window: { fixedMicros: 50 } },
  { label: 'fixed 200', window: { fixedMicros: 200 } },
  { label: 'fixed 1000', window: { fixedMicros: 1000 } },
  { label: 'fixed 5000', window: { fixedMicros: 5000 } },
];

interface Result {
  readonly shape: string;
  readonly window: string;
  readonly appendsPerSecond: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
  readonly p999Micros: number;
  readonly fdatasyncsPerSecond: number;
  readonly syscallsPerAppend: number;
  readonly meanWindowMicros: number;
}

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

function nowMicros(): number {
  return performance.now() * 1000;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** A seeded xorshift so every window of a shape sees the same arrival schedule. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

function startCompetingWriter(dir: string): () => void {
  // Sequential 1 MiB writes with an fsync every 8 MiB: what a backup or compaction does to a disk.
  const code = `const fs=require('fs');const fd=fs.openSync(${JSON.stringify(join(dir, 'competitor.bin'))},'w');const b=Buffer.alloc(1<<20,7);let i=0;for(;;){fs.writeSync(fd,b,0,b.length,(i%256)<<20);if(++i%8===0)fs.fsyncSync(fd);}`;
  const child = spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  return () => child.kill('SIGKILL');
}

async function runOpenLoop(append: () => Promise<number>, rate: Rate, seconds: number, latencies: number[], random: () => number): Promise<void> {
  const start = nowMicros();
  const end = start + seconds * 1e6;
  let next = start;
  const pending: Array<Promise<void>> = [];
  while (next < end) {
    const now = nowMicros();
    while (next <= now && next < end) {
      const due = next;
      pending.push(append().then(() => { latencies.push(nowMicros() - due); }));
      const r = rate((next - start) / 1e6, seconds);
      // Exponential gaps: Poisson arrivals at the current rate; idle periods are stepped through.
      next += r > 0 ? (-Math.log(1 - random()) / r) * 1e6 : 1000;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(pending);
}

async function runClosedLoop(append: () => Promise<number>, appenders: number, seconds: number, latencies: number[]): Promise<void> {
  const end = nowMicros() + seconds * 1e6;
  await Promise.all(Array.from({ length: appenders }, async () => {
    while (nowMicros() < end) {
      const started = nowMicros();
      await append();
      latencies.push(nowMicros() - started);
    }
  }));
}

async function runCell(shape: Shape, label: string, window: CommitWindow, seconds: number): Promise<Result> {
  const dir = await mkdtemp(join(tmpdir(), 'seglog-window-'));
  const log = await openLog({ dir, commitWindow: window });
  const payload = new Uint8Array(128).fill(3);
  const latencies: number[] = [];
  let stopCompetitor: (() => void) | null = null;
  const competitorTimer = shape.competingWriter ? setTimeout(() => { stopCompetitor = startCompetingWriter(dir); }, (seconds * 1000) / 2) : null;
  let windowSum = 0;
  let windowSamples = 0;
  const sampler = setInterval(() => { windowSum += log.metrics().commitWindowMicros; windowSamples++; }, 20);
  const before = log.metrics();
  const started = nowMicros();
  try {
    const append = (): Promise<number> => log.append(payload);
    if (shape.open !== undefined) await runOpenLoop(append, shape.open, seconds, latencies, prng(0x5e6106));
    else await runClosedLoop(append, shape.closedAppenders ?? 1, seconds, latencies);
  } finally {
    clearInterval(sampler);
    if (competitorTimer !== null) clearTimeout(competitorTimer);
    (stopCompetitor as (() => void) | null)?.();
  }
  const elapsedSeconds = (nowMicros() - started) / 1e6;
  const after = log.metrics();
  await log.close();
  await rm(dir, { recursive: true, force: true });
  const sorted = Float64Array.from(latencies).sort();
  const appends = after.appends - before.appends;
  const syscalls = after.writes - before.writes + (after.flushes - before.flushes) + (after.dirSyncs - before.dirSyncs);
  return {
    shape: shape.name,
    window: label,
    appendsPerSecond: appends / elapsedSeconds,
    p50Micros: percentile(sorted, 50),
    p99Micros: percentile(sorted, 99),
    p999Micros: percentile(sorted, 99.9),
    fdatasyncsPerSecond: (after.flushes - before.flushes) / elapsedSeconds,
    syscallsPerAppend: appends === 0 ? 0 : syscalls / appends,
    meanWindowMicros: windowSamples === 0 ? 0 : windowSum / windowSamples,
  };
}

/** One row per window: the median of every figure over its repetitions. */
function medianRow(rows: Result[]): Result {
  const pick = (key: keyof Omit<Result, 'shape' | 'window'>): number => median(rows.map((row) => row[key]));
  return {
    shape: rows[0]!.shape,
    window: rows[0]!.window,
    appendsPerSecond: pick('appendsPerSecond'),
    p50Micros: pick('p50Micros'),
    p99Micros: pick('p99Micros'),
    p999Micros: pick('p999Micros'),
    fdatasyncsPerSecond: pick('fdatasyncsPerSecond'),
    syscallsPerAppend: pick('syscallsPerAppend'),
    meanWindowMicros: pick('meanWindowMicros'),
  };
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function verdicts(shape: Shape, rows: Result[]): string[] {
  const adaptive = rows.find((row) => row.window === 'adaptive')!;
  const fixed = rows.filter((row) => row.window !== 'adaptive');
  const bestThroughput = fixed.reduce((a, b) => (b.appendsPerSecond > a.appendsPerSecond ? b : a));
  const bestP99 = fixed.reduce((a, b) => (b.p99Micros < a.p99Micros ? b : a));
  const out = [
    `${shape.name}: throughput ${adaptive.appendsPerSecond >= 0.9 * bestThroughput.appendsPerSecond ? 'PASS' : 'MISS'} (adaptive ${fmt(adaptive.appendsPerSecond)}/s vs best ${bestThroughput.window} ${fmt(bestThroughput.appendsPerSecond)}/s)`,
    `${shape.name}: p99 ${adaptive.p99Micros <= 1.1 * bestP99.p99Micros ? 'PASS' : 'MISS'} (adaptive ${fmt(adaptive.p99Micros)} µs vs best ${bestP99.window} ${fmt(bestP99.p99Micros)} µs)`,
  ];
  if (shape.moderate === true) {
    const zero = rows.find((row) => row.window === 'fixed 0')!;
    const fewer = adaptive.fdatasyncsPerSecond < zero.fdatasyncsPerSecond;
    const p99Ok = adaptive.p99Micros <= 1.1 * zero.p99Micros;
    out.push(`${shape.name}: fewer fdatasyncs/s than fixed 0 without >10% p99 ${fewer && p99Ok ? 'PASS' : 'MISS'} (${fmt(adaptive.fdatasyncsPerSecond)} vs ${fmt(zero.fdatasyncsPerSecond)} /s; p99 ${fmt(adaptive.p99Micros)} vs ${fmt(zero.p99Micros)} µs)`);
  }
  return out;
}

async function main(): Promise<void> {
  const seconds = Number(flag('seconds') ?? 4);
  const reps = Number(flag('reps') ?? 3);
  const only = flag('shapes')?.split(',');
  const shapes = SHAPES.filter((shape) => only === undefined || only.includes(shape.name));
  const results: Result[] = [];
  const raw: Result[] = [];
  const lines: string[] = [];
  console.log(`Medians of ${reps} repetitions of ${seconds} s per cell.\n`);
  console.log('| shape | window | appends/s | p50 µs | p99 µs | p999 µs | fdatasyncs/s | syscalls/append | mean window µs |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const shape of shapes) {
    const runs = new Map<string, Result[]>(WINDOWS.map(({ label }) => [label, []]));
    for (let rep = 0; rep < reps; rep++) {
      const order = WINDOWS.map((_, i) => WINDOWS[(i + rep) % WINDOWS.length]!);
      for (const { label, window } of order) {
        runs.get(label)!.push(await runCell(shape, label, window, seconds));
        process.stderr.write(`  ${shape.name} rep ${rep + 1}/${reps} ${label} done\n`);
      }
    }
    const rows: Result[] = [];
    for (const { label } of WINDOWS) {
      const row = medianRow(runs.get(label)!);
      rows.push(row);
      console.log(`| ${row.shape} | ${row.window} | ${fmt(row.appendsPerSecond)} | ${fmt(row.p50Micros)} | ${fmt(row.p99Micros)} | ${fmt(row.p999Micros)} | ${fmt(row.fdatasyncsPerSecond)} | ${fmt(row.syscallsPerAppend, 3)} | ${fmt(row.meanWindowMicros, 1)} |`);
    }
    results.push(...rows);
    raw.push(...[...runs.values()].flat());
    lines.push(...verdicts(shape, rows));
  }
  console.log('\nTargets:');
  for (const line of lines) console.log(`- ${line}`);
  const out = flag('json');
  if (out !== undefined) await writeFile(out, JSON.stringify({ seconds, reps, raw, shapes: shapes.map((s) => ({ name: s.name, description: s.description })), results, verdicts: lines }, null, 2));
}

await main();
