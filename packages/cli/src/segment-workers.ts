/**
 * One job: start the worker threads that check segments for `verify` (segment-check-worker.ts),
 * early when the command line asks for a verify, and hand them to segment-lanes.ts.
 *
 * Why early: a worker takes about 60 ms to boot (an isolate, then the format and io modules) and
 * the main thread takes about 110 ms to reach the first segment (Node, commander, the modules).
 * Started from main.ts before anything else loads, the worker boots on the other core while the
 * main thread loads; started when the check begins, it boots on a core the check already uses.
 * This module imports nothing of seglog, so starting one costs main.ts nothing to load.
 *
 * Invariants: a started worker is unref'd until a lane takes it (an unused one never keeps the
 * process alive) and ref'd while a lane holds it (a check in flight always does); `ready` settles
 * once, true on the worker's `ready` message, false if it fails or exits first, and it is listened
 * for from the start, so a worker that boots before a lane takes it is not missed.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';

export interface StartedWorker {
  readonly worker: Worker;
  /** True once the worker has loaded its modules; false if it failed or exited first. */
  readonly ready: Promise<boolean>;
}

/** Lanes `verify` chooses without `--jobs` for a big log: one per CPU, at most this many. */
export const AUTO_LANES_MAX = 4;
/** Workers started before the command line is parsed: `--jobs 64` starts the rest when it runs. */
const PRESTARTED_MAX = AUTO_LANES_MAX - 1;

const started: StartedWorker[] = [];

/** The lanes a full verify of a big log uses without `--jobs`. */
export function autoLanes(): number {
  return Math.max(1, Math.min(os.availableParallelism(), AUTO_LANES_MAX));
}

/**
 * From main.ts: when `argv` is a full `seglog verify`, starts the workers it will most likely use
 * (`--jobs n`: n - 1; else one per CPU but this one). `--quick` and `--help` start none. A guess
 * that turns out too many (a small log checks on one thread) costs the other core a worker's boot.
 */
export function prestartForArgv(argv: readonly string[]): void {
  const args = argv.slice(2);
  if (args[0] !== 'verify' || args.some((arg) => arg === '--quick' || arg === '--help' || arg === '-h')) return;
  const count = Math.min(PRESTARTED_MAX, (jobsIn(args) ?? autoLanes()) - 1);
  for (let i = 0; i < count; i++) started.push(startWorker());
}

/** A worker started earlier, or a new one. The caller owns it: it must terminate it. */
export function takeWorker(): StartedWorker {
  const taken = started.shift() ?? startWorker();
  taken.worker.ref();
  return taken;
}

/** Workers started and not yet taken. */
export function unusedWorkers(): number {
  return started.length;
}

/** Terminates the workers no lane took (main.ts, when the command is over). */
export async function dropUnusedWorkers(): Promise<void> {
  await Promise.all(started.splice(0).map(({ worker }) => worker.terminate()));
}

/** `--jobs n` or `--jobs=n` when n is a whole number; program.ts judges every other spelling. */
function jobsIn(args: readonly string[]): number | null {
  const at = args.findIndex((arg) => arg === '--jobs' || arg.startsWith('--jobs='));
  if (at === -1) return null;
  const value = args[at]!.startsWith('--jobs=') ? args[at]!.slice('--jobs='.length) : args[at + 1];
  const jobs = Number(value);
  return Number.isInteger(jobs) && jobs >= 1 ? jobs : 1;
}

/**
 * The worker's module next to this one. Run from source (the workspace's tests, under tsx), a
 * worker thread does not inherit tsx's hooks on Node 20, so it registers them first.
 */
function startWorker(): StartedWorker {
  const worker = newWorker();
  worker.unref();
  const ready = new Promise<boolean>((resolve) => {
    const onMessage = (message: { kind?: string }): void => {
      if (message.kind !== 'ready') return;
      worker.off('message', onMessage);
      resolve(true);
    };
    worker.on('message', onMessage);
    worker.once('error', () => resolve(false));
    worker.once('exit', () => resolve(false));
  });
  return { worker, ready };
}

function newWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./segment-check-worker.js', import.meta.url));
  const entry = JSON.stringify(new URL('./segment-check-worker.ts', import.meta.url).href);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true });
}
