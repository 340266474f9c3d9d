/**
 * One job: what each shipped message carries besides its payload: the header names, the message
 * id, and the parsing of a stored message's headers back into (log id, offset, append time).
 * Pure: no connection, so the rules can be tested alone. docs/jetstream.md ("Subject and headers")
 * is the contract a consumer on another machine reads; keep the two in step.
 *
 * Invariants: the message id of a record is a function of (log id, offset) only, so a record
 * published twice has one id and JetStream's duplicate window drops the second copy; a header
 * that does not parse is reported as null, never guessed.
 */
import { headers, type MsgHdrs } from 'nats';

/** 32 lowercase hex digits: the 16-byte id every segment header and HEAD of the log carries. */
export const HEADER_LOG_ID = 'Seglog-Log-Id';
/** The record's offset in the log, decimal. */
export const HEADER_OFFSET = 'Seglog-Offset';
/** Wall-clock ms when the record's batch was sealed, decimal; absent for records in v1 segments. */
export const HEADER_APPEND_TIME = 'Seglog-Append-Time-Ms';
/** JetStream's de-duplication id. */
export const HEADER_MSG_ID = 'Nats-Msg-Id';
/**
 * JetStream refuses the message (err 10071) unless the stream's last sequence is exactly this.
 * This is what keeps the stream a gap-free prefix of the log while many publishes are in flight,
 * and duplicate-free after the duplicate window. The server checks it against the sequence of
 * the last message *proposed*, so it holds for pipelined publishes; the server ignores a value of
 * 0, so the first message of an empty stream uses the subject form below instead.
 */
export const HEADER_EXPECTED_SEQ = 'Nats-Expected-Last-Sequence';
/**
 * The subject form, used only as `0` ("the subject is empty") for the first message of an empty
 * stream. nats-server 2.9 checks it against *stored* messages, not proposed ones, so a pipelined
 * publish must not use it with a non-zero value (it would be refused while its predecessor is in
 * the Raft log).
 */
export const HEADER_EXPECTED_SUBJECT_SEQ = 'Nats-Expected-Last-Subject-Sequence';

const LOG_ID_HEX = /^[0-9a-f]{32}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** What a shipped message says about its record. */
export interface ShippedRecordMeta {
  readonly logIdHex: string;
  readonly offset: number;
  readonly appendTimeMs: number | undefined;
}

export function logIdHexOf(logId: Uint8Array): string {
  return Buffer.from(logId.buffer, logId.byteOffset, logId.byteLength).toString('hex');
}

export function logIdBytesOf(logIdHex: string): Uint8Array {
  return new Uint8Array(Buffer.from(logIdHex, 'hex'));
}

/** `<log id hex>:<offset>`: one id per record for the life of the log. */
export function messageIdOf(logIdHex: string, offset: number): string {
  return `${logIdHex}:${offset}`;
}

/** The headers of one publish: the record's identity and the stream position it must follow. */
export function publishHeaders(meta: ShippedRecordMeta, expectedSeq: number): MsgHdrs {
  const h = headers();
  h.set(HEADER_MSG_ID, messageIdOf(meta.logIdHex, meta.offset));
  h.set(HEADER_LOG_ID, meta.logIdHex);
  h.set(HEADER_OFFSET, String(meta.offset));
  if (meta.appendTimeMs !== undefined) h.set(HEADER_APPEND_TIME, String(meta.appendTimeMs));
  if (expectedSeq > 0) h.set(HEADER_EXPECTED_SEQ, String(expectedSeq));
  else h.set(HEADER_EXPECTED_SUBJECT_SEQ, '0');
  return h;
}

/** The record a stored message holds, or null when its headers are not a shipper's. */
export function parseShippedHeaders(h: MsgHdrs | undefined): ShippedRecordMeta | null {
  if (h === undefined) return null;
  const logIdHex = h.get(HEADER_LOG_ID);
  const offsetText = h.get(HEADER_OFFSET);
  if (!LOG_ID_HEX.test(logIdHex) || !DECIMAL.test(offsetText)) return null;
  const offset = Number(offsetText);
  if (!Number.isSafeInteger(offset)) return null;
  const timeText = h.get(HEADER_APPEND_TIME);
  const appendTimeMs = DECIMAL.test(timeText) ? Number(timeText) : undefined;
  return { logIdHex, offset, appendTimeMs };
}
