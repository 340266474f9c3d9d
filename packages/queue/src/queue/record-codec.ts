/**
 * One job: which layout a queue record's bytes are in. Records are written in the binary layout
 * (record-binary.ts); records written before it (a JSON header, record-json.ts) are still read,
 * told apart by their first four bytes.
 */
import { SeglogError } from '@seglog/types';
import type { Command } from './commands.js';
import { BINARY_MARKER, decodeBinary, encodeBinary } from './record-binary.js';
import { decodeJson } from './record-json.js';

export function encodeCommands(commands: readonly Command[]): Uint8Array {
  return encodeBinary([commands]);
}

/** Bytes of a record holding `transactions`, each applied (and fenced) on its own. */
export function encodeTransactions(transactions: readonly (readonly Command[])[]): Uint8Array {
  return encodeBinary(transactions);
}

/** Every command of the record, its transactions one after the other. */
export function decodeCommands(bytes: Uint8Array, offset: number): Command[] {
  return decodeTransactions(bytes, offset).flat();
}

/** A record's transactions, in either encoding. */
export function decodeTransactions(bytes: Uint8Array, offset: number): Command[][] {
  if (bytes.byteLength < 4) throw SeglogError.corrupt(`queue record ${offset} is shorter than its header length`, { offset });
  const first = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  return first === BINARY_MARKER ? decodeBinary(bytes, offset) : decodeJson(bytes, offset);
}
