/**
 * One job: what every command gets: its output, the one AbortSignal that SIGINT fires, and the
 * parsing of numeric flag values into usage errors.
 */
import { CliError } from './cli-error.js';
import type { Format, Output } from './output.js';

export interface Context {
  readonly out: Output;
  readonly signal: AbortSignal;
}

export interface FormatFlags {
  readonly json?: boolean;
  readonly ndjson?: boolean;
}

export function formatOf(flags: FormatFlags): Format {
  if (flags.json === true && flags.ndjson === true) throw CliError.usage('--json and --ndjson exclude each other');
  return flags.json === true ? 'json' : flags.ndjson === true ? 'ndjson' : 'text';
}

/** A non-negative safe integer flag value, or a usage error naming the flag. */
export function parseCount(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed)) throw CliError.usage(`${flag} must be a non-negative integer, got '${value}'`);
  return parsed;
}

/** `<when>`: milliseconds since the epoch, or a date and time `Date.parse` reads (ISO 8601). */
export function parseWhen(flag: string, text: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms)) {
    throw CliError.usage(`${flag} must be an ISO 8601 time (2026-12-06T20:00:00Z) or ms since the epoch, got '${text}'`);
  }
  return ms;
}
