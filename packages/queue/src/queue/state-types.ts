/**
 * One job: the shapes of the queue's state (messages, leases, groups), apart from state.ts so that
 * the snapshot codec (snapshot-binary.ts) and the state can both use them without a cycle.
 */
import type { DeadLetterInfo, EnqueueCommand, PayloadLocation } from './commands.js';

/**
 * The reason of a retirement that a delivery makes when the message's record is gone (a forced
 * truncation dropped it): the message is dropped, never dead-lettered, since its payload is lost.
 */
export const EXPIRED_REASON = 'expired: its record was dropped by a forced truncation';

export interface MessageState {
  readonly seq: number;
  readonly loc: PayloadLocation;
  readonly at: number;
  readonly prio: number;
  readonly notBefore: number;
  readonly key: string | undefined;
  readonly target: string | undefined;
  readonly dead: DeadLetterInfo | undefined;
  /** Groups that still have to settle it. */
  refs: number;
  /**
   * The payload cache's slot (payload-cache.ts): the enqueued bytes while they are cached, so a
   * delivery needs no log read. Not state: never in a snapshot, undefined after a replay.
   */
  cached: Uint8Array | undefined;
}

/** What a message is made from: an enqueue command, or a snapshot's fields. */
export type MessageFields = Pick<EnqueueCommand, 'at' | 'prio' | 'notBefore' | 'key' | 'target' | 'dead'>;

/**
 * A held message, every field present (absent ones undefined): all messages share one shape, so
 * the code that reads them stays monomorphic, and no spread of an optional field allocates a
 * temporary object per enqueue (both measurable on the hot path).
 */
export function newMessageState(seq: number, loc: PayloadLocation, fields: MessageFields, refs = 0): MessageState {
  const { at, prio, notBefore, key, target, dead } = fields;
  return { seq, loc, at, prio, notBefore, key, target, dead, refs, cached: undefined };
}

export interface Lease {
  readonly attempt: number;
  deadline: number;
}

export interface GroupState {
  readonly name: string;
  /** 'main' groups see every untargeted message from `startSeq` on; 'dead' groups only their own. */
  readonly kind: 'main' | 'dead';
  readonly startSeq: number;
  floor: number;
  readonly settled: Set<number>;
  readonly leases: Map<number, Lease>;
  readonly attempts: Map<number, number>;
  readonly notBefore: Map<number, number>;
  paused: boolean;
  /** Messages of the group not yet settled (leased ones included). */
  unsettled: number;
  /** Deliveries after the first one, ever. */
  redelivered: number;
  acked: number;
  deadLettered: number;
  dropped: number;
  /** Messages retired because their record was gone (EXPIRED_REASON). */
  expired: number;
  /** The group its dead letters go to (the last one used). */
  deadLetterTo?: string;
}

