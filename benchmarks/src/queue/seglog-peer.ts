/**
 * One job: @seglog/queue as a peer of the end-to-end queue benchmark: `enqueue` resolves once the
 * record is fdatasync'd through group commit; the consumer acks in its handler and the ack
 * resolves once its record is durable too. Log defaults (adaptive commit window).
 *
 * The handler returns and `process` acks (so the slot takes its next message while the ack is
 * written, as BullMQ's moveToCompleted fetches the next job); the moment the ack is durable is
 * taken from the queue's `seglog:queue:event` channel, whose `settle` event is published when
 * the ack record is applied, which is after it is durable.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { openQueue, QUEUE_EVENT_CHANNEL } from '@seglog/queue';
import type { QueueEvent } from '@seglog/queue';
import type { PeerDefinition, QueuePeer } from './queue-peer.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const seglogPeer: PeerDefinition = {
  name: 'seglog',
  label: 'seglog, embedded (one process)',
  durability: 'enqueue and ack resolve after fdatasync (group commit, default options)',
  unavailableReason: () => Promise.resolve(null),
  async open(dir: string): Promise<QueuePeer> {
    const queue = await openQueue({ dir });
    let consuming: Promise<void> | null = null;
    let onSettle: ((message: unknown) => void) | null = null;
    return {
      async enqueue(message) {
        await queue.enqueue(encoder.encode(message));
      },
      consume(concurrency, onAcked) {
        const inHandler = new Map<number, string>();
        onSettle = (message: unknown): void => {
          const event = message as QueueEvent;
          if (event.kind !== 'settle' || event.dir !== dir) return;
          const text = inHandler.get(event.offset);
          if (text === undefined) return;
          inHandler.delete(event.offset);
          onAcked(text);
        };
        subscribe(QUEUE_EVENT_CHANNEL, onSettle);
        const consumer = queue.consumer('bench', { concurrency, ackDeadlineMs: 60_000 });
        consuming = consumer.process((msg) => void inHandler.set(msg.offset, decoder.decode(msg.payload)));
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
