/**
 * One job: the single error class of seglog and its stable codes.
 *
 * Codes are API and never change meaning; messages are for people and may change. Each code is
 * documented in docs/errors.md by *when* it happens. Programming mistakes inside seglog throw
 * `SEGLOG_ASSERTION` (see assert.ts) and are never caught by seglog itself.
 */

export const ErrorCodes = {
  /** Another writer (this process or another) holds the directory's lock. */
  LOCKED: 'SEGLOG_LOCKED',
  /** The log or reader was closed; pending appends that could not finish reject with it too. */
  CLOSED: 'SEGLOG_CLOSED',
  /** Bytes on disk fail their checksum or framing where acknowledged data must be. */
  CORRUPT: 'SEGLOG_CORRUPT',
  /** A payload is larger than `maxRecordBytes`. */
  RECORD_TOO_LARGE: 'SEGLOG_RECORD_TOO_LARGE',
  /** A write, sync or other file operation failed; the original error is `cause`. Sticky. */
  IO: 'SEGLOG_IO',
  /** An option is missing, of the wrong type or out of range. */
  INVALID_OPTION: 'SEGLOG_INVALID_OPTION',
  /**
   * A read asked for an offset that is not (or no longer, or not yet) in the log, or an append
   * would take the next offset past 2^53 - 1.
   */
  OUT_OF_RANGE: 'SEGLOG_OUT_OF_RANGE',
  /**
   * An append was refused at once because too many bytes of appends already wait for room
   * (`maxQueuedBytes`). Nothing of it was written and it got no offset: await earlier appends and
   * retry. Retriable; the log is healthy.
   */
  OVERLOADED: 'SEGLOG_OVERLOADED',
  /**
   * A read or follow asked for (or reached) an offset below the log's low-water mark: those records
   * were dropped by retention (`truncateBefore`). `firstOffset` carries the current first offset;
   * resume from there, or read with `onBehind: 'skip'`.
   */
  BEHIND_RETENTION: 'SEGLOG_BEHIND_RETENTION',
  /**
   * A read or follow had returned records that `log.truncateAfter` (or an open that accepted a
   * loss) took back: their offsets now belong to other records. `endOffset` carries where the
   * truncation cut the log; resume from there (or from an earlier position you trust).
   */
  TRUNCATED: 'SEGLOG_TRUNCATED',
  /** A segment header, HEAD or a retention hold carries a newer version than this code reads. */
  UNSUPPORTED_FORMAT: 'SEGLOG_UNSUPPORTED_FORMAT',
  /** An internal invariant broke: a bug in seglog. */
  ASSERTION: 'SEGLOG_ASSERTION',
  /**
   * A queue settle (ack, nak, term, inProgress) carried a delivery token whose lease has lapsed or
   * was superseded by a later delivery; nothing was changed.
   */
  STALE_DELIVERY: 'SEGLOG_STALE_DELIVERY',
  /**
   * `@seglog/jetstream`: the stream and the local log disagree, so shipping (or restoring) cannot
   * go on without losing or duplicating a record: the stream holds another log's records, or
   * records past the log's durable end (the log was truncated or replaced), or a message the
   * shipper did not publish. `offset` carries the local offset in question. Not retriable.
   */
  JETSTREAM_DIVERGED: 'SEGLOG_JETSTREAM_DIVERGED',
  /**
   * `@seglog/jetstream`: offsets would be missing. Shipping: the records after the stream's last
   * one are no longer in the local log (forced retention dropped them). Restore: the stream's
   * offsets are not dense from its first message. `offset` is the first missing offset.
   */
  JETSTREAM_GAP: 'SEGLOG_JETSTREAM_GAP',
  /** `@seglog/jetstream`: the JetStream cluster could not be reached or did not answer in time; `cause` says why. */
  JETSTREAM_UNAVAILABLE: 'SEGLOG_JETSTREAM_UNAVAILABLE',
  /**
   * An adapter (the BullMQ backend) was asked for an operation it does not implement yet; the
   * message names the operation. Nothing was changed.
   */
  NOT_IMPLEMENTED: 'SEGLOG_NOT_IMPLEMENTED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export interface SeglogErrorDetails {
  readonly cause?: unknown;
  /** The file the error is about, when there is one. */
  readonly file?: string;
  /** A byte position in `file`, when known. */
  readonly positionBytes?: number;
  /** A record offset, when known. */
  readonly offset?: number;
  /** The log's first (oldest readable) offset, for SEGLOG_BEHIND_RETENTION. */
  readonly firstOffset?: number;
  /** Where a truncation cut the log, for SEGLOG_TRUNCATED. */
  readonly endOffset?: number;
}

export class SeglogError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly positionBytes: number | undefined;
  readonly offset: number | undefined;
  /** The log's first offset when the error is SEGLOG_BEHIND_RETENTION. */
  readonly firstOffset: number | undefined;
  /** Where a truncation cut the log when the error is SEGLOG_TRUNCATED. */
  readonly endOffset: number | undefined;

  constructor(code: ErrorCode, message: string, details: SeglogErrorDetails = {}) {
    super(`${code}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SeglogError';
    this.code = code;
    this.file = details.file;
    this.positionBytes = details.positionBytes;
    this.offset = details.offset;
    this.firstOffset = details.firstOffset;
    this.endOffset = details.endOffset;
  }

  static locked(dir: string, holder: string): SeglogError {
    return new SeglogError(ErrorCodes.LOCKED, `log directory ${dir} is locked by ${holder}`, { file: dir });
  }

  static closed(what: string): SeglogError {
    return new SeglogError(ErrorCodes.CLOSED, `${what} is closed`);
  }

  static corrupt(message: string, details: SeglogErrorDetails): SeglogError {
    return new SeglogError(ErrorCodes.CORRUPT, message, details);
  }

  static recordTooLarge(sizeBytes: number, maxRecordBytes: number): SeglogError {
    return new SeglogError(
      ErrorCodes.RECORD_TOO_LARGE,
      `record of ${sizeBytes} bytes exceeds maxRecordBytes=${maxRecordBytes}`,
    );
  }

  static io(operation: string, file: string, cause: unknown): SeglogError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new SeglogError(ErrorCodes.IO, `${operation} failed on ${file}: ${reason}`, { cause, file });
  }

  static invalidOption(name: string, problem: string): SeglogError {
    return new SeglogError(ErrorCodes.INVALID_OPTION, `option ${name} ${problem}`);
  }

  static outOfRange(offset: number, firstOffset: number, endOffset: number): SeglogError {
    return new SeglogError(
      ErrorCodes.OUT_OF_RANGE,
      `offset ${offset} is outside the readable range [${firstOffset}, ${endOffset})`,
      { offset },
    );
  }

  static behindRetention(offset: number, firstOffset: number): SeglogError {
    return new SeglogError(
      ErrorCodes.BEHIND_RETENTION,
      `offset ${offset} is below the log's first offset ${firstOffset}: retention dropped it (resume from ${firstOffset}, or read with onBehind: 'skip')`,
      { offset, firstOffset },
    );
  }

  static truncated(position: number, endOffset: number): SeglogError {
    return new SeglogError(
      ErrorCodes.TRUNCATED,
      `records up to offset ${position} were returned, but the log was truncated at ${endOffset} since: those from ${endOffset} on were taken back and their offsets are reused (resume from ${endOffset})`,
      { offset: position, endOffset },
    );
  }

  static unsupportedFormat(file: string, version: number, supported: number): SeglogError {
    return new SeglogError(
      ErrorCodes.UNSUPPORTED_FORMAT,
      `${file} has format version ${version}; this seglog reads version ${supported}`,
      { file },
    );
  }
}

export function isSeglogError(error: unknown, code?: ErrorCode): error is SeglogError {
  return error instanceof SeglogError && (code === undefined || error.code === code);
}
