/**
 * One job: drive real crashes. Each cycle starts kill9-child.ts on the same log directory, lets it
 * append from many concurrent appenders, kills it with SIGKILL at a seeded random moment, then
 * reopens the log in this process and proves the crash lost nothing: the stale lock does not block,
 * every offset the child reported acknowledged is below `nextOffset`, and every record from the
 * last checked offset to `nextOffset` reads back through the reader byte for byte, with no gap.
 * The next cycle appends on to the same log. Used by kill9.test.ts and scripts/kill9-soak.ts.
 *
 * The next children are spawned while the current one runs and wait for `go`: loading the
 * TypeScript sources takes about a second, which would otherwise dominate every cycle.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { nodeFileIO } from '@seglog/io';
import { readLog } from '@seglog/testkit';
import { Prng } from '@seglog/testkit';
import { openLog } from '../../src/index.js';
import type { Kill9ChildConfig } from './kill9-child.js';
import { KILL_PROFILE, payloadMismatch } from './fuzz-pattern.js';

const HELPERS_DIR = dirname(fileURLToPath(import.meta.url));
const CHILD_PATH = join(HELPERS_DIR, 'kill9-child.ts');
/** The store package: where `--import=tsx` and the `@seglog/source` condition resolve. */
const STORE_DIR = join(HELPERS_DIR, '..', '..');
/**
 * Children loading ahead of their turn. Loading is mostly waiting, not CPU, so a few in parallel
 * take the load time off every cycle.
 */
const CHILDREN_AHEAD = 3;

export interface Kill9Options {
  readonly dir: string;
  readonly seed: number;
  readonly cycles: number;
  readonly blockBytes: number;
  readonly segmentBytes: number;
  readonly appenders: number;
  /** Called once per cycle with a one-line summary (the soak script prints it). */
  readonly onCycle?: (line: string) => void;
}

export interface Kill9Report {
  readonly cycles: number;
  /** Kills that landed before the child reported its log open (during recovery or loading). */
  readonly earlyKills: number;
  readonly acknowledgedRecords: number;
  /** Records in the log at the end, all read back and checked. */
  readonly records: number;
  /** Reopens whose recovery dropped a torn tail. */
  readonly tornTails: number;
  /** Reopens that found the killed child's LOCK file and took it over. */
  readonly staleLocks: number;
  /** Files left in the directory that are not the log's own (e.g. lock temp files of a killed opener). */
  readonly litter: readonly string[];
  readonly segments: number;
}

interface ChildRun {
  readonly process: ChildProcessWithoutNullStreams;
  readonly loaded: Promise<void>;
  /** Resolves with the child's nextOffset after open; rejects if it exits first. */
  readonly ready: Promise<number>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly errors: string[];
  maxAcked: number;
  acked: number;
}

function spawnChild(config: Kill9ChildConfig): ChildRun {
  const child = spawn(process.execPath, ['--import=tsx', '--conditions=@seglog/source', CHILD_PATH, JSON.stringify(config)], {
    cwd: STORE_DIR,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const run: ChildRun = {
    process: child,
    loaded: undefined!,
    ready: undefined!,
    exited,
    errors: [],
    maxAcked: -1,
    acked: 0,
  };
  const lines = createInterface({ input: child.stdout });
  const loaded = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => line === 'L' && resolve());
    void exited.then(() => reject(new Error(`child exited before loading: ${run.errors.join('; ')} ${stderr}`)));
  });
  const ready = new Promise<number>((resolve, reject) => {
    lines.on('line', (line) => line.startsWith('R ') && resolve(Number(line.slice(2))));
    void exited.then(() => reject(new Error('child exited before opening the log')));
  });
  // Either may never settle in an early kill; nobody must see that as unhandled.
  loaded.catch(() => undefined);
  ready.catch(() => undefined);
  lines.on('line', (line) => {
    if (line.startsWith('E ')) run.errors.push(line.slice(2));
    if (!line.startsWith('A ')) return;
    for (const range of line.slice(2).split(' ')) {
      const [from, to] = range.split(':').map(Number) as [number, number];
      run.acked += to - from;
      run.maxAcked = Math.max(run.maxAcked, to - 1);
    }
  });
  return Object.assign(run, { loaded, ready });
}

function childConfig(options: Kill9Options, prng: Prng, salt: number): Kill9ChildConfig {
  const maxBatchBytes = options.segmentBytes - options.blockBytes;
  return {
    dir: options.dir,
    seed: prng.nextU32(),
    salt,
    appenders: options.appenders,
    options: {
      segmentBytes: options.segmentBytes,
      blockBytes: options.blockBytes,
      preallocate: prng.bool(0.75),
      commitWindow: { fixedMicros: prng.pick([0, 0, 100, 1000]) },
      // Several batches in flight: a kill between their writes leaves a lost batch followed by
      // written later ones, which recovery must take as a torn tail (their ackedOffset says so).
      maxBatchesInFlight: prng.pick([1, 2, 4]),
      syncMethod: prng.pick(['open_datasync', 'fdatasync'] as const),
      // Sometimes a tight in-flight cap, so appends also queue (backpressure) when the kill lands.
      ...(prng.bool(0.3) ? { maxInFlightBytes: 2 * Math.min(maxBatchBytes, 4 * 1024 * 1024) } : {}),
    },
  };
}

/** True when the killed child's LOCK is still there, naming it: the reopen must take it over. */
function staleLockOf(dir: string, pid: number | undefined): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'LOCK'), 'utf8')) as { pid?: number }).pid === pid;
  } catch {
    return false;
  }
}

/** Reopens the log in this process and checks everything from `checkedEnd` on; returns the new end. */
async function verifyAfterKill(
  options: Kill9Options,
  salt: number,
  maxAcked: number,
  checkedEnd: number,
): Promise<{ end: number; torn: boolean; segments: number }> {
  const log = await openLog({ dir: options.dir, segmentBytes: options.segmentBytes, blockBytes: options.blockBytes });
  try {
    const end = log.nextOffset;
    if (log.firstOffset !== 0) throw new Error(`firstOffset is ${log.firstOffset}, expected 0`);
    if (maxAcked >= end) throw new Error(`offset ${maxAcked} was acknowledged but the reopened log ends at ${end}: an acknowledged record was lost`);
    if (end < checkedEnd) throw new Error(`the log ends at ${end} but ${checkedEnd} records were already read back after an earlier crash`);
    await readBack(options.dir, salt, checkedEnd, end);
    return { end, torn: log.recovery.tornTailAt !== null, segments: log.recovery.segments };
  } finally {
    await log.close();
  }
}

/** Reads [from, to) with testkit's readLog and checks every offset and payload. */
export async function readBack(dir: string, salt: number, from: number, to: number): Promise<void> {
  const { payloads, endOffset } = await readLog(nodeFileIO, dir);
  if (endOffset < to) throw new Error(`the log ends at ${endOffset}, expected at least ${to}`);
  for (let offset = from; offset < to; offset++) {
    const mismatch = payloadMismatch(offset, salt, KILL_PROFILE, payloads[offset]!);
    if (mismatch !== null) throw new Error(`wrong payload read back: ${mismatch}`);
  }
}

/** Runs one cycle: go, kill at the seeded moment, collect what the child reported. */
async function killOnce(child: ChildRun, prng: Prng, expectedStart: number): Promise<{ early: boolean }> {
  const early = prng.bool(0.1);
  const kill = (): void => void child.process.kill('SIGKILL');
  child.process.stdin.write('go\n');
  if (early) {
    setTimeout(kill, prng.int(0, 15));
  } else {
    const start = await child.ready.catch((error: unknown) => {
      throw new Error(`${(error as Error).message}: ${child.errors.join('; ')}`);
    });
    if (start !== expectedStart) throw new Error(`the child opened the log at ${start}, expected ${expectedStart}`);
    setTimeout(kill, prng.int(20, 301));
  }
  const { signal } = await child.exited;
  if (child.errors.length > 0) throw new Error(`child failed: ${child.errors.join('; ')}`);
  if (signal !== 'SIGKILL') throw new Error(`child ended without being killed (signal ${signal})`);
  return { early };
}

export async function runKill9(options: Kill9Options): Promise<Kill9Report> {
  const prng = new Prng(options.seed);
  const salt = prng.nextU32();
  const waiting: ChildRun[] = [];
  let spawned = 0;
  const topUp = (): void => {
    while (waiting.length < CHILDREN_AHEAD && spawned < options.cycles) {
      waiting.push(spawnChild(childConfig(options, prng.fork(), salt)));
      spawned++;
    }
  };
  let current: ChildRun | null = null;
  let checkedEnd = 0;
  let maxAcked = -1;
  let acknowledgedRecords = 0;
  let earlyKills = 0;
  let tornTails = 0;
  let staleLocks = 0;
  let segments = 0;
  try {
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      topUp();
      const child: ChildRun = waiting.shift()!;
      current = child;
      const where = `cycle ${cycle} of kill9 seed ${options.seed} (blockBytes ${options.blockBytes})`;
      await child.loaded;
      const { early } = await killOnce(child, prng.fork(), checkedEnd).catch((error: unknown) => {
        throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
      });
      maxAcked = Math.max(maxAcked, child.maxAcked);
      acknowledgedRecords += child.acked;
      earlyKills += early ? 1 : 0;
      staleLocks += staleLockOf(options.dir, child.process.pid) ? 1 : 0;
      const verified = await verifyAfterKill(options, salt, maxAcked, checkedEnd).catch((error: unknown) => {
        throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
      });
      tornTails += verified.torn ? 1 : 0;
      segments = verified.segments;
      options.onCycle?.(`cycle ${cycle}: ${early ? 'early kill' : `acked ${child.acked}`}, log ends at ${verified.end}, ${verified.segments} segments${verified.torn ? ', torn tail dropped' : ''}`);
      checkedEnd = verified.end;
    }
    // One last pass over the whole log: earlier cycles' records must still be intact.
    await readBack(options.dir, salt, 0, checkedEnd);
  } finally {
    // After a failure, no child may live on appending to a directory nobody checks.
    current?.process.kill('SIGKILL');
    for (const child of waiting) child.process.kill('SIGKILL');
  }
  const litter = readdirSync(options.dir).filter((name) => !/^(\d{20}\.(seg|idx)|next\.seg\.tmp)$/.test(name));
  return {
    cycles: options.cycles,
    earlyKills,
    acknowledgedRecords,
    records: checkedEnd,
    tornTails,
    staleLocks,
    litter,
    segments,
  };
}
