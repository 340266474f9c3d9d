/**
 * One job: @seglog/queue as a peer of the end-to-end queue benchmark: `enqueue` resolves once the
 * record is fdatasync'd through group commit; the consumer acks in its handler and the ack
 * resolves once its record is durable too. Log defaults (adaptive commit window).
 *
 * The handler returns and `process` acks (so the slot takes its next message while the ack is
 * written, as BullMQ's moveToCompleted fetches the next job); the moment the ack is durable is
 * taken from the queue's `seglog:queue:event` channel, whose `settle` event is published when
 * the ack record is applied, which is after it is durable. The handler reads the message's
 * sequence number from the payload's fixed header (message-codec.ts, no decode of the payload)
 * and keeps it under the message's offset (dense from 0 in the fresh queue) in a typed array until
 * that event. Messages are enqueued as 128-byte views of a template slab, not a fresh
 * TextEncoder.encode each (message-codec.ts says why that is what applications hand it too).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { openQueue, QUEUE_EVENT_CHANNEL } from '@seglog/queue';
import type { QueueEvent } from '@seglog/queue';
import { DenseColumn } from './dense-column.js';
import { MessageSlabs, seqOfBytes } from './message-codec.js';
import type { PeerDefinition, QueuePeer } from './queue-peer.js';

/** An offset with no handled message waiting for its settle. */
const noSeq = -2;

export const seglogPeer: PeerDefinition = {
  name: 'seglog',
  label: 'seglog, embedded (one process)',
  durability: 'enqueue and ack resolve after fdatasync (group commit, default options)',
  unavailableReason: () => Promise.resolve(null),
  async open(dir: string): Promise<QueuePeer> {
    const queue = await openQueue({ dir });
    const slabs = new MessageSlabs();
    let consuming: Promise<void> | null = null;
    let onSettle: ((message: unknown) => void) | null = null;
    return {
      enqueue(seq) {
        return queue.enqueue(slabs.bytes(seq));
      },
      consume(concurrency, onAcked) {
        const inHandler = new DenseColumn(noSeq);
        onSettle = (message: unknown): void => {
          const event = message as QueueEvent;
          if (event.kind !== 'settle' || event.dir !== dir) return;
          const seq = inHandler.get(event.offset);
          if (seq === noSeq) return;
          inHandler.set(event.offset, noSeq);
          onAcked(seq);
        };
        subscribe(QUEUE_EVENT_CHANNEL, onSettle);
        const consumer = queue.consumer('bench', { concurrency, ackDeadlineMs: 60_000 });
        consuming = consumer.process((msg) => inHandler.set(msg.offset, seqOfBytes(msg.payload)));
        return Promise.resolve();
      },
      async close() {
        await queue.close({ drainMs: 0 });
        await consuming;
        if (onSettle !== null) unsubscribe(QUEUE_EVENT_CHANNEL, onSettle);
      },
    };
  },
};
