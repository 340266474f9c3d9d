/**
 * One job: sort what the nats client throws into what the shipper does next. JetStream API errors
 * carry a numeric `err_code` (the server's stable code); transport trouble (a timeout, no
 * responders while a leader is elected, a dropped connection) carries only a string `code`.
 */
import { ErrorCodes, SeglogError } from '@seglog/types';

/** JetStream `err_code`s the shipper and restore act on. */
export const JsErr = {
  streamNotFound: 10059,
  noMessageFound: 10037,
  /** The expected last (subject) sequence did not match: an earlier publish did not land. */
  wrongLastSequence: 10071,
} as const;

/** The JetStream API `err_code` of a client error, or undefined for transport errors. */
export function apiErrorCode(error: unknown): number | undefined {
  const api = (error as { api_error?: { err_code?: unknown } } | null)?.api_error;
  return typeof api?.err_code === 'number' ? api.err_code : undefined;
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function unavailable(what: string, cause: unknown): SeglogError {
  return new SeglogError(ErrorCodes.JETSTREAM_UNAVAILABLE, `${what}: ${describe(cause)}`, { cause });
}
