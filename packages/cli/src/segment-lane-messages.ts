/**
 * One job: the messages between `verify`'s main thread and its segment-check workers, and the
 * round trip of an error through them. A structured clone keeps an Error's message but drops its
 * class and its `code`, and the exit code of a failed check depends on both (cli-error.ts's
 * `classify`), so an error crosses as plain fields and is rebuilt on the main thread.
 */
import { SeglogError } from '@seglog/types';
import type { ErrorCode } from '@seglog/types';
import type { SegmentFile } from './log-dir.js';
import type { CheckOptions, SegmentCheck } from './segment-check.js';

/** What a worker needs to check one segment: the options that are data, not callbacks. */
export type LaneCheckOptions = Pick<CheckOptions, 'quick' | 'isLast' | 'log'>;

export interface LaneRequest {
  readonly id: number;
  readonly segment: SegmentFile;
  readonly options: LaneCheckOptions;
}

interface SeglogFields {
  readonly bare: string;
  readonly file?: string;
  readonly positionBytes?: number;
  readonly offset?: number;
}

export interface ErrorMessage {
  readonly name: string;
  readonly message: string;
  readonly code: string | undefined;
  /** A SeglogError's message without its `CODE: ` prefix, and its details. */
  readonly seglog: SeglogFields | null;
}

export type LaneReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'bytes'; readonly bytes: number }
  | { readonly kind: 'done'; readonly id: number; readonly check: SegmentCheck }
  | { readonly kind: 'failed'; readonly id: number; readonly error: ErrorMessage };

export function errorToMessage(error: unknown): ErrorMessage {
  if (error instanceof SeglogError) {
    const bare = error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2) : error.message;
    const details = { file: error.file, positionBytes: error.positionBytes, offset: error.offset };
    const seglog = { bare, ...withoutUndefined(details) };
    return { name: error.name, message: error.message, code: error.code, seglog };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  return { name, message, code: typeof code === 'string' ? code : undefined, seglog: null };
}

/** The error as the main thread throws it: the same class, code and message as in the worker. */
export function errorFromMessage(sent: ErrorMessage): Error {
  if (sent.seglog !== null && sent.code !== undefined) {
    const { bare, ...details } = sent.seglog;
    return new SeglogError(sent.code as ErrorCode, bare, details);
  }
  const error = new Error(sent.message) as Error & { code?: string };
  error.name = sent.name;
  if (sent.code !== undefined) error.code = sent.code;
  return error;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}
