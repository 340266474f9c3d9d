/**
 * One job: `shipStatus`, the shipping lag of a log as seen from outside any shipper (the CLI's
 * `seglog jetstream stat`, a health check): the log's range from HEAD, the stream's last record,
 * and the shipper's retention hold. It reads only; it works while a shipper runs or none does.
 */
import { openReader } from '@seglog/reader';
import { listRetentionHolds } from '@seglog/store';
import { shipLimits } from '@seglog/types';
import { holdConnection } from './connection.js';
import { readLogHead } from './log-identity.js';
import { logIdHexOf } from './message-headers.js';
import { resolveServers, resolveStreamNames, type StreamOptions } from './options.js';
import { Stream } from './stream.js';
import { nodeFileIO } from '@seglog/io';
import { SeglogError, type FileIO } from '@seglog/types';

export interface ShipStatusOptions extends StreamOptions {
  readonly dir: string;
  readonly io?: FileIO;
  /** The shipper's hold name. Default `jetstream.<stream>`. */
  readonly holdName?: string;
}

export interface ShipStatus {
  readonly logIdHex: string;
  readonly stream: string;
  readonly subject: string;
  /** The log's low-water mark and durable end (from HEAD). */
  readonly firstOffset: number;
  readonly durableOffset: number;
  /** One past the stream's last offset, or null when the stream holds none of this log's records. */
  readonly streamOffset: number | null;
  /** The log id of the stream's last record, when it is another log's (the stream diverged). */
  readonly streamLogIdHex: string | null;
  readonly streamLastSeq: number;
  /** Durable records the stream does not hold yet. */
  readonly lagRecords: number;
  /** Append time of the oldest of them (format v2 segments carry it), or null. */
  readonly oldestUnshippedAppendTimeMs: number | null;
  /** The shipper's retention hold, or null when none is set. */
  readonly holdOffset: number | null;
}

export async function shipStatus(options: ShipStatusOptions): Promise<ShipStatus> {
  if (typeof options !== 'object' || options === null) throw SeglogError.invalidOption('shipStatus options', 'must be an object');
  const { stream, subject } = resolveStreamNames(options);
  const servers = resolveServers(options);
  const io = options.io ?? nodeFileIO;
  const head = await readLogHead(io, options.dir);
  const logIdHex = logIdHexOf(head.logId);
  const holdName = options.holdName ?? `jetstream.${stream}`;
  const hold = (await listRetentionHolds({ dir: options.dir, io })).find((candidate) => candidate.name === holdName);
  const held = await holdConnection(options.connection, servers, `seglog-status ${stream}`);
  try {
    const spec = { stream, subject, replicas: 1, duplicateWindowMillis: shipLimits.duplicateWindowMillisDefault };
    const target = await Stream.attach(held.connection, spec);
    const tail = await target.tail();
    const ours = tail?.meta?.logIdHex === logIdHex ? tail.meta : null;
    const streamOffset = ours === null ? null : ours.offset + 1;
    const shippedTo = Math.max(streamOffset ?? head.firstOffset, head.firstOffset);
    const lagRecords = Math.max(0, head.durableOffset - shippedTo);
    return {
      logIdHex,
      stream,
      subject,
      firstOffset: head.firstOffset,
      durableOffset: head.durableOffset,
      streamOffset,
      streamLogIdHex: tail?.meta != null && tail.meta.logIdHex !== logIdHex ? tail.meta.logIdHex : null,
      streamLastSeq: tail === null ? await target.lastSeq() : tail.seq,
      lagRecords,
      oldestUnshippedAppendTimeMs: lagRecords === 0 ? null : await appendTimeAt(options.dir, io, shippedTo),
      holdOffset: hold?.offset ?? null,
    };
  } finally {
    await held.release();
  }
}

async function appendTimeAt(dir: string, io: FileIO, offset: number): Promise<number | null> {
  const reader = await openReader({ dir, io });
  try {
    for await (const record of reader.read({ from: offset, to: offset + 1 })) return record.appendTimeMs ?? null;
    return null;
  } finally {
    await reader.close();
  }
}
