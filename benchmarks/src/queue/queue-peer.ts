/**
 * One job: what the end-to-end queue benchmark drives in each system.
 *
 * The harness names each message by a sequence number (ack-ledger.ts); the peer turns it into the
 * same 128-byte message (message-codec.ts: BullMQ and pg-boss carry it as a JSON string field,
 * seglog as the payload bytes) and, when the message's ack is durable, reads the number back out of
 * what the system delivered and reports it. So every system carries and returns the same bytes, and
 * end-to-end latency is (ack durable) - (enqueue called) by the harness's clock, for all alike.
 */

export interface QueuePeer {
  /** Enqueues message `seq`; resolves once it is durable (the system's own acknowledgement). */
  enqueue(seq: number): Promise<unknown>;
  /**
   * Starts consuming with `concurrency` handlers at once. Each handler acks its message; once the
   * ack is durable, `onAcked(seq)` is called with the sequence number read from the delivered
   * message (message-codec.ts `malformedSeq` when it is not a well-formed message).
   */
  consume(concurrency: number, onAcked: (seq: number) => void): Promise<void>;
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
