/**
 * One job: check many segments at once, each on a lane: the main thread is one lane, and each
 * other lane is a worker thread (segment-check-worker.ts) running the same `checkSegment`. The
 * results come back in segment order whatever order the lanes finish in, so the caller's report,
 * its first bad offset and its `--max-errors` cut are the same as one lane's.
 *
 * Why: a full verify is the kernel's copy of the page cache (in libuv's pool) plus CRC-32C of
 * every byte and the frame walk (on the thread that checks). On one thread the checking thread's
 * CPU is the wall time; with a lane per core the segments' CRCs run side by side.
 *
 * Invariants:
 * - Lanes claim the next unchecked segment when they are free, in segment order, so a worker that
 *   is still booting (about 60 ms: an isolate and the modules) takes no segment that another lane could
 *   have checked meanwhile; a worker that cannot start leaves its share to the others.
 * - After a failure no lane claims a new segment; the lanes finish what they hold, and the error
 *   of the lowest segment is thrown, the one a single lane would have met first.
 * - Cancelling (the signal) terminates every worker at once: no worker outlives the call.
 */
import type { Worker } from 'node:worker_threads';
import type { SegmentFile } from './log-dir.js';
import { checkSegment } from './segment-check.js';
import type { SegmentCheck } from './segment-check.js';
import { errorFromMessage } from './segment-lane-messages.js';
import type { LaneCheckOptions, LaneReply, LaneRequest } from './segment-lane-messages.js';
import { takeWorker } from './segment-workers.js';

export interface SegmentTask {
  readonly segment: SegmentFile;
  readonly options: LaneCheckOptions;
}

export interface LanesOptions {
  /** Segments checked at once: the main thread and `lanes - 1` workers (`lanes` workers without `mainLane`). */
  readonly lanes: number;
  readonly signal: AbortSignal;
  readonly onBytes: (bytes: number) => void;
  /**
   * Whether the main thread is one of the lanes (default true: it is loaded and ready first, and
   * measured 5% faster than leaving it idle); false gives every segment to the workers.
   */
  readonly mainLane?: boolean;
  /** Told which lane checked each segment: 0 the main thread, 1 and up the workers. */
  readonly onChecked?: (index: number, lane: number) => void;
}

/**
 * Every task's check, in task order; throws the error of the lowest failing task. Uses
 * `min(lanes, tasks)` lanes: with one, the main thread checks every segment and no worker starts.
 */
export async function checkSegmentsOnLanes(
  tasks: readonly SegmentTask[],
  options: LanesOptions,
): Promise<SegmentCheck[]> {
  const { signal, onBytes } = options;
  const results: SegmentCheck[] = [];
  const failures = new Map<number, unknown>();
  let next = 0;
  const claim = (): number | null => (failures.size > 0 || signal.aborted || next >= tasks.length ? null : next++);
  const lanes = Math.max(1, Math.min(options.lanes, tasks.length));
  const mainChecks = lanes === 1 || options.mainLane !== false;
  const workerCount = mainChecks ? lanes - 1 : lanes;
  const workers = Array.from({ length: workerCount }, () => new WorkerLane(onBytes));
  const onAbort = (): void => workers.forEach((worker) => worker.end(signal.reason));
  signal.addEventListener('abort', onAbort, { once: true });

  type Check = (task: SegmentTask, id: number) => Promise<SegmentCheck>;
  const runLane = async (lane: number, check: Check): Promise<void> => {
    for (let i = claim(); i !== null; i = claim()) {
      try {
        results[i] = await check(tasks[i]!, i);
        options.onChecked?.(i, lane);
      } catch (error) {
        failures.set(i, error);
      }
    }
  };
  const onMain: Check = (task) => checkSegment(task.segment, { ...task.options, signal, onBytes });
  const runMainLane = async (): Promise<void> => {
    if (!mainChecks) return;
    await runLane(0, onMain);
    // Nothing left to claim: a worker still booting would only cost its boot.
    for (const worker of workers) worker.endIfIdle();
  };
  const runWorkerLane = async (worker: WorkerLane, lane: number): Promise<void> => {
    if (await worker.ready) await runLane(lane, (task, id) => worker.check({ id, ...task }));
  };

  try {
    await Promise.all([runMainLane(), ...workers.map((worker, i) => runWorkerLane(worker, i + 1))]);
    // Segments left by workers that could not start: the main thread checks them.
    await runLane(0, onMain);
  } finally {
    signal.removeEventListener('abort', onAbort);
    await Promise.all(workers.map((worker) => worker.close()));
  }
  signal.throwIfAborted();
  if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
  return results;
}

interface PendingCheck {
  readonly id: number;
  readonly resolve: (check: SegmentCheck) => void;
  readonly reject: (error: unknown) => void;
}

/** One worker thread and the one check it may have in flight. */
class WorkerLane {
  readonly ready: Promise<boolean>;
  readonly #worker: Worker;
  readonly #setReady: (ready: boolean) => void;
  #pending: PendingCheck | null = null;
  #ended = false;

  constructor(onBytes: (bytes: number) => void) {
    const { worker, ready } = takeWorker();
    let setReady: (ready: boolean) => void = () => undefined;
    this.ready = new Promise((resolve) => (setReady = resolve));
    this.#setReady = setReady;
    void ready.then(setReady);
    this.#worker = worker;
    this.#worker.on('message', (reply: LaneReply) => this.#onReply(reply, onBytes));
    this.#worker.on('error', (error) => this.end(error));
    this.#worker.on('exit', (code) => this.end(new Error(`a verify worker thread exited (code ${code})`)));
  }

  check(request: LaneRequest): Promise<SegmentCheck> {
    if (this.#ended) return Promise.reject(new Error('the verify worker thread has ended'));
    return new Promise((resolve, reject) => {
      this.#pending = { id: request.id, resolve, reject };
      this.#worker.postMessage(request);
    });
  }

  /** Stops the worker; a check in flight fails with `reason`. */
  end(reason: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#setReady(false);
    const pending = this.#pending;
    this.#pending = null;
    pending?.reject(reason);
    void this.#worker.terminate();
  }

  endIfIdle(): void {
    if (this.#pending === null) this.end(new Error('no segment left to check'));
  }

  async close(): Promise<void> {
    this.end(new Error('the verify is over'));
    await this.#worker.terminate();
  }

  #onReply(reply: LaneReply, onBytes: (bytes: number) => void): void {
    if (reply.kind === 'ready') return;
    if (reply.kind === 'bytes') {
      onBytes(reply.bytes);
      return;
    }
    const pending = this.#pending;
    if (pending === null || pending.id !== reply.id) return;
    this.#pending = null;
    if (reply.kind === 'done') pending.resolve(reply.check);
    else pending.reject(errorFromMessage(reply.error));
  }
}
