/**
 * One job: a worker thread that checks whole segments for `verify`'s other lanes (segment-lanes.ts):
 * it runs the same `checkSegment` as the main thread, on the segment the main thread sends, and
 * posts back the result, the bytes it read (for the progress bar), or the error it threw.
 *
 * Invariants: one segment at a time (the main thread sends the next only after the result); the
 * worker says `ready` once its modules are loaded, so a lane claims no segment while it boots;
 * read counts are posted in steps of `BYTES_POST_STEP` and the rest before the result, so the bar
 * never counts a byte twice or misses one.
 */
import { parentPort } from 'node:worker_threads';
import { checkSegment } from './segment-check.js';
import { errorToMessage } from './segment-lane-messages.js';
import type { LaneRequest, LaneReply } from './segment-lane-messages.js';

/** Read counts are batched: a message per read of a quick check would cost more than the read. */
const BYTES_POST_STEP = 4 * 1024 * 1024;

const port = parentPort;
if (port === null) throw new Error('segment-check-worker runs only as a worker thread');

const post = (reply: LaneReply): void => port.postMessage(reply);

port.on('message', (request: LaneRequest) => {
  void run(request);
});
post({ kind: 'ready' });

async function run(request: LaneRequest): Promise<void> {
  let unposted = 0;
  const onBytes = (bytes: number): void => {
    unposted += bytes;
    if (unposted < BYTES_POST_STEP) return;
    post({ kind: 'bytes', bytes: unposted });
    unposted = 0;
  };
  // Cancelling is the main thread's: it terminates the worker, which ends any read in flight.
  const signal = new AbortController().signal;
  try {
    const check = await checkSegment(request.segment, { ...request.options, signal, onBytes });
    if (unposted > 0) post({ kind: 'bytes', bytes: unposted });
    post({ kind: 'done', id: request.id, check });
  } catch (error) {
    if (unposted > 0) post({ kind: 'bytes', bytes: unposted });
    post({ kind: 'failed', id: request.id, error: errorToMessage(error) });
  }
}
