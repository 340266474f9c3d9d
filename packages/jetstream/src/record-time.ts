/**
 * One job: the append time of a record read from the log, when the log knows it.
 *
 * Format v2 (issue 11) adds `appendTimeMs` to every `LogRecord` read from a v2 segment (undefined
 * for v1 segments). Until that lands in `@seglog/types`, the field is read if present; once it
 * does, this becomes `record.appendTimeMs`.
 */
import type { LogRecord } from '@seglog/types';

export function appendTimeOf(record: LogRecord): number | undefined {
  const time = (record as { readonly appendTimeMs?: unknown }).appendTimeMs;
  return typeof time === 'number' && Number.isSafeInteger(time) && time >= 0 ? time : undefined;
}
