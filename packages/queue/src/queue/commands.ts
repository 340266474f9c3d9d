/**
 * One job: the queue's commands (what one record of the queue log carries).
 *
 * A record is a transaction: several commands, applied all or nothing (deliveries excepted, which
 * are applied one by one). Every time a command needs is in it, taken at propose time, so applying
 * it is a pure function of the state (machine.ts). A shared record holds several independent
 * transactions (the proposals of one event-loop turn, machine.ts). Their bytes: record-codec.ts.
 */

/** Where an enqueued payload lives: the record's log offset and the command's index in it. */
export type PayloadLocation = readonly [offset: number, index: number];

export interface DeadLetterInfo {
  /** The group the message was dead-lettered from. */
  readonly origin: string;
  /** The message's offset in that group. */
  readonly originOffset: number;
  /** Deliveries it had there. */
  readonly deliveries: number;
  /** `'maxDeliveries'` or the reason given to `term`. */
  readonly reason: string;
}

export interface EnqueueCommand {
  readonly t: 'enq';
  readonly at: number;
  readonly prio: number;
  readonly notBefore: number;
  readonly key?: string | undefined;
  readonly dedup?: string | undefined;
  readonly dedupUntil?: number | undefined;
  /** Only this group sees the message (dead letters, redriven messages). */
  readonly target?: string;
  /** A payload of an earlier message, not a new one (dead letters and redrives copy no bytes). */
  readonly ref?: PayloadLocation;
  readonly dead?: DeadLetterInfo;
  /**
   * The enqueued bytes. Once the command is encoded, a view of the record's bytes where they were
   * copied (record-binary.ts): the caller's buffer is no longer held, and the payload cache keeps
   * the view as it is, with no copy and no buffer of its own per message.
   */
  payload?: Uint8Array;
}

export type GroupFrom = 'earliest' | 'latest';

export type Command =
  | EnqueueCommand
  | { readonly t: 'group'; readonly g: string; readonly from: GroupFrom; readonly at: number }
  | { readonly t: 'deliver'; readonly g: string; readonly seq: number; readonly attempt: number; readonly deadline: number }
  | { readonly t: 'ack'; readonly g: string; readonly seq: number; readonly attempt: number }
  | { readonly t: 'nak'; readonly g: string; readonly seq: number; readonly attempt: number; readonly notBefore: number }
  | { readonly t: 'extend'; readonly g: string; readonly seq: number; readonly attempt: number; readonly deadline: number }
  | {
      readonly t: 'retire';
      readonly g: string;
      readonly seq: number;
      readonly attempt: number;
      readonly reason: string;
      /** Move it to this group, in this record; absent = drop. */
      readonly deadLetter?: string;
      readonly at: number;
    }
  | { readonly t: 'pause'; readonly g: string; readonly paused: boolean }
  | { readonly t: 'redrive'; readonly g: string; readonly seq: number; readonly at: number };

export type DeliverCommand = Extract<Command, { t: 'deliver' }>;

/** Commands fenced by a delivery token: a stale one voids its whole record. */
export type SettleCommand = Extract<Command, { t: 'ack' | 'nak' | 'extend' | 'retire' }>;

export function isSettle(command: Command): command is SettleCommand {
  return command.t === 'ack' || command.t === 'nak' || command.t === 'extend' || command.t === 'retire';
}
