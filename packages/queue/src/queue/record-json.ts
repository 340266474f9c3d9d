/**
 * One job: read the records written before the binary layout (record-binary.ts): u32 LE length
 * of a JSON header, the header `{ v: 1, c: [commands, each enqueue's payload replaced by its
 * byte length] }` (one transaction) or `{ v: 2, c, n: [commands per transaction] }` (a shared
 * record), then the enqueue payloads back to back. Nothing writes this layout any more; a queue
 * whose log still holds such records reads them at open and at delivery.
 * test/fixtures/json-records.json holds records the JSON writer produced.
 */
import { SeglogError } from '@seglog/types';
import type { Command } from './commands.js';

/** One transaction per record. */
const VERSION_ONE = 1;
/** Several independent transactions per record: `n` holds how many commands each has. */
const VERSION_SHARED = 2;
const decoder = new TextDecoder();

interface RecordHeader {
  readonly v?: unknown;
  readonly c?: unknown;
  readonly n?: unknown;
}

/** A record's transactions (one for a v1 record). */
export function decodeJson(bytes: Uint8Array, offset: number): Command[][] {
  const { commands, counts } = decodeRecord(bytes, offset);
  if (counts === undefined) return [commands];
  const transactions: Command[][] = [];
  let at = 0;
  for (const count of counts) {
    transactions.push(commands.slice(at, at + count));
    at += count;
  }
  return transactions;
}

function decodeRecord(bytes: Uint8Array, offset: number): { commands: Command[]; counts: number[] | undefined } {
  const bad = (why: string): SeglogError => SeglogError.corrupt(`queue record ${offset} ${why}`, { offset });
  if (bytes.byteLength < 4) throw bad('is shorter than its header length');
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + headerBytes > bytes.byteLength) throw bad('has a header longer than the record');
  let header: RecordHeader;
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerBytes))) as RecordHeader;
  } catch (error) {
    throw SeglogError.corrupt(`queue record ${offset} has a header that is not JSON`, { offset, cause: error });
  }
  if ((header.v !== VERSION_ONE && header.v !== VERSION_SHARED) || !Array.isArray(header.c)) {
    throw bad(`has an unknown version ${String(header.v)}`);
  }
  const counts = header.v === VERSION_SHARED ? transactionCounts(header.n, header.c.length) : undefined;
  if (header.v === VERSION_SHARED && counts === undefined) throw bad('has transaction counts that do not add up');
  let at = 4 + headerBytes;
  const commands = (header.c as (Command & { len?: number })[]).map((command) => {
    if (command.t !== 'enq' || command.len === undefined) return command;
    const { len, ...rest } = command;
    if (at + len > bytes.byteLength) throw bad('has payloads past its end');
    const payload = bytes.subarray(at, at + len);
    at += len;
    return { ...rest, payload };
  });
  if (at !== bytes.byteLength) throw bad('has bytes after its payloads');
  return { commands, counts };
}

function transactionCounts(value: unknown, total: number): number[] | undefined {
  if (!Array.isArray(value)) return undefined;
  let sum = 0;
  for (const count of value) {
    if (!Number.isSafeInteger(count) || (count as number) < 1) return undefined;
    sum += count as number;
  }
  return sum === total ? (value as number[]) : undefined;
}
