/**
 * One job: what the end-to-end queue benchmark drives in each system, and the message it sends.
 *
 * A message is 128 ASCII characters: the producer's send time (process.hrtime in ms, fixed-point),
 * a sequence number, then padding. Every system carries the same 128 bytes (BullMQ and pg-boss as a JSON string
 * field, seglog as the payload bytes), and the consumer reads the send time back out of it, so
 * end-to-end latency needs no side table: (ack durable) - (enqueue called).
 */
export const messageBytes = 128;

export interface QueuePeer {
  /** Resolves once the message is durable (the system's own acknowledgement). */
  enqueue(message: string): Promise<void>;
  /**
   * Starts consuming with `concurrency` handlers at once. Each handler acks its message; once the
   * ack is durable, `onAcked(message)` is called.
   */
  consume(concurrency: number, onAcked: (message: string) => void): Promise<void>;
  /** CPU time (µs, user + system) of the system's own server process so far, where it has one we start. */
  serverCpuMicros?(): Promise<number>;
  close(): Promise<void>;
}

export interface PeerDefinition {
  readonly name: 'seglog' | 'seglog-owner' | 'bullmq' | 'pg-boss';
  /** The row's name in the table. */
  readonly label: string;
  /** How the system is set up to make enqueues and acks durable. */
  readonly durability: string;
  /** Null when it can run here, else why not (a missing server or npm package). */
  unavailableReason(): Promise<string | null>;
  /** Starts whatever it needs (servers) in `dir`. */
  open(dir: string): Promise<QueuePeer>;
}

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

let sequence = 0;

/** A 128-character message carrying `sentMs` and a sequence number (so no two are equal). */
export function encodeMessage(sentMs: number): string {
  sequence += 1;
  return `${sentMs.toFixed(3)}:${sequence}:`.padEnd(messageBytes, 'x');
}

export function sentAtMs(message: string): number {
  return Number.parseFloat(message.slice(0, message.indexOf(':')));
}
