/**
 * One job: read a stream's messages in sequence order, `first..last`, with a bounded number of
 * direct gets in flight (`$JS.API.STREAM.MSG.GET` by sequence).
 *
 * Why not an ordered consumer: with nats 2.29 and nats-server 2.9 an ordered consumer that misses
 * heartbeats (a loaded machine, a slow link) resets itself, and a reset can send a start sequence
 * with a delivery policy 2.9.10 refuses (err 10094), after which the client retries silently
 * forever: a restore would hang. Gets by sequence hold no server state, so there is nothing to
 * reset; a missing sequence (deleted) is skipped and left to the caller's offset check.
 */
import type { JetStreamManager, StoredMsg } from 'nats';
import { apiErrorCode, JsErr, unavailable } from './nats-errors.js';

export async function* readStreamInOrder(
  manager: JetStreamManager,
  stream: string,
  range: { readonly firstSeq: number; readonly lastSeq: number; readonly inFlight: number },
): AsyncGenerator<StoredMsg> {
  const pending: Promise<StoredMsg | null>[] = [];
  let next = range.firstSeq;
  const request = (seq: number): Promise<StoredMsg | null> =>
    manager.streams.getMessage(stream, { seq }).catch((error: unknown) => {
      if (apiErrorCode(error) === JsErr.noMessageFound) return null;
      throw unavailable(`reading message ${seq} of ${stream}`, error);
    });
  try {
    while (next <= range.lastSeq || pending.length > 0) {
      while (next <= range.lastSeq && pending.length < range.inFlight) pending.push(request(next++));
      const message = await pending.shift()!;
      if (message !== null) yield message;
    }
  } finally {
    // Requests still in flight when the reader stops are left to settle; their failures are moot.
    for (const left of pending) left.catch(() => undefined);
  }
}
