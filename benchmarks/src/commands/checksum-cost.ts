/**
 * One job: measure what each way of checksumming a batch costs the writer and a get, to choose
 * format v2's (docs/format.md, "Chunks, and why").
 *
 * Schemes, all over the same records framed the same way (u32 length + payload):
 * - `v1 whole batch`: one CRC-32C over log id, header and body (format v1). A get verifies it all.
 * - `chunks of N`: format v2 as shipped (ChunkPlan + writeBatchHeader): a CRC per run of whole
 *   records of about N bytes, plus the header CRC over the chunk table. A get verifies the header
 *   with the table (once per batch if cached) and its one chunk.
 * - `per record`: a CRC per record stored in its frame, and a u32 position per record in a table
 *   under the header CRC (the alternative issue 11 names; modelled here, not shipped).
 * Writer CPU is framing + checksums + tables per batch, divided by its records. Get CPU is the
 * verification of one random record, with the batch's header and table cached (`warm`) or not.
 * Pure CPU on one core (process.cpuUsage): no files, no event loop.
 */
import { parseArgs } from 'node:util';
import {
  BATCH_HEADER_BYTES,
  ChunkPlan,
  chunkPayload,
  chunkTableRange,
  crc32c,
  encodeBatch,
  readBatchHeader,
  readChunkTable,
  recordFrameBytes,
  stepBatch,
  writeBatchHeader,
  writeRecordFrameLength,
  type BatchHeader,
  type ChunkTable,
} from '@seglog/format';
import { limits } from '@seglog/types';
import { positiveInteger, positiveNumber } from '../lib/args.js';
import type { Command } from './command.js';

const LOG_ID = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const BLOCK = 4096;

interface Shape {
  readonly label: string;
  readonly records: number;
  readonly recordBytes: number;
}

interface Scheme {
  readonly label: string;
  /** Frames and checksums one batch of `payloads` into `out`; returns bytes used. */
  write(out: Uint8Array, payloads: readonly Uint8Array[]): number;
  /** Prepares a batch for gets; returns a function verifying and returning record `index`. */
  reader(payloads: readonly Uint8Array[], warm: boolean): (index: number) => Uint8Array;
}

function frameInto(out: Uint8Array, at: number, payload: Uint8Array): number {
  writeRecordFrameLength(out, at, payload.length);
  out.set(payload, at + 4);
  return at + recordFrameBytes(payload.length);
}

const v1Scheme: Scheme = {
  label: 'v1 whole batch',
  write(out, payloads) {
    let at = 32;
    for (const payload of payloads) at = frameInto(out, at, payload);
    new DataView(out.buffer, out.byteOffset).setUint32(4, crc32c(out.subarray(8, at), crc32c(LOG_ID)), true);
    return at;
  },
  reader(payloads) {
    const out = new Uint8Array(64 + payloads.reduce((sum, p) => sum + recordFrameBytes(p.length), 0));
    const end = this.write(out, payloads);
    return (index) => {
      // A get of v1 checks the CRC of the whole batch, then walks to its frame.
      if (crc32c(out.subarray(8, end), crc32c(LOG_ID)) === 0.5) throw new Error('unreachable');
      let at = 32;
      for (let i = 0; i < index; i++) at += 4 + new DataView(out.buffer).getUint32(at, true);
      return out.subarray(at + 4, at + 4 + new DataView(out.buffer).getUint32(at, true));
    };
  },
};

function chunkScheme(chunkBytes: number): Scheme {
  return {
    label: `chunks of ${chunkBytes / 1024} KiB`,
    write(out, payloads) {
      const plan = new ChunkPlan(chunkBytes);
      let at = BATCH_HEADER_BYTES;
      for (const payload of payloads) {
        at = frameInto(out, at, payload);
        plan.add(recordFrameBytes(payload.length));
      }
      return writeBatchHeader(out, LOG_ID, { firstOffset: 0, ackedOffset: 0, appendTimeMs: 0 }, plan);
    },
    reader(payloads, warm) {
      const bytes = encodeBatch(LOG_ID, 0, payloads, BLOCK, { chunkBytes });
      const header = readBatchHeader(bytes, 0) as BatchHeader;
      const range = chunkTableRange(header);
      const tableBytes = bytes.subarray(range.fromBytes, range.toBytes);
      const tableOf = (): ChunkTable => readChunkTable(LOG_ID, bytes, header, tableBytes) as ChunkTable;
      const cached = tableOf();
      return (index) => {
        const table = warm ? cached : tableOf();
        const entry = table.entryFor(index);
        const chunk = bytes.subarray(BATCH_HEADER_BYTES + entry.fromBytes, BATCH_HEADER_BYTES + entry.toBytes);
        return chunkPayload(chunk, entry, index) as Uint8Array;
      };
    },
  };
}

/** Each frame: u32 length, u32 CRC of the payload, payload; then a u32 position per record. */
const perRecordScheme: Scheme = {
  label: 'per record',
  write(out, payloads) {
    const dv = new DataView(out.buffer, out.byteOffset);
    let at = BATCH_HEADER_BYTES;
    for (const payload of payloads) {
      writeRecordFrameLength(out, at, payload.length);
      dv.setUint32(at + 4, crc32c(payload), true);
      out.set(payload, at + 8);
      at += 8 + payload.length;
    }
    const tableAt = at;
    let position = BATCH_HEADER_BYTES;
    for (const payload of payloads) {
      dv.setUint32(at, position, true);
      position += 8 + payload.length;
      at += 4;
    }
    const headerCrc = crc32c(out.subarray(8, BATCH_HEADER_BYTES), crc32c(LOG_ID));
    dv.setUint32(4, crc32c(out.subarray(tableAt, at), headerCrc), true);
    return at;
  },
  reader(payloads, warm) {
    const out = new Uint8Array(64 + payloads.reduce((sum, p) => sum + 12 + p.length, 0));
    const end = this.write(out, payloads);
    const dv = new DataView(out.buffer);
    const tableAt = end - 4 * payloads.length;
    const table = out.subarray(tableAt, end);
    return (index) => {
      const headerCrc = (): number => crc32c(table, crc32c(out.subarray(8, BATCH_HEADER_BYTES), crc32c(LOG_ID)));
      if (!warm && headerCrc() !== dv.getUint32(4, true)) {
        throw new Error('table CRC');
      }
      const at = dv.getUint32(tableAt + 4 * index, true);
      const payload = out.subarray(at + 8, at + 8 + dv.getUint32(at, true));
      if (crc32c(payload) !== dv.getUint32(at + 4, true)) throw new Error('record CRC');
      return payload;
    };
  },
};

/**
 * CPU nanoseconds (user + system, process.cpuUsage) per call of `fn`, the median of `rounds` runs
 * of at least `millis` of CPU each. CPU rather than wall time, because other work shares the
 * machine: waiting for a core is not a cost of the scheme.
 */
function nanosPerCall(fn: (i: number) => unknown, millis: number, rounds: number): number {
  const results: number[] = [];
  for (let round = 0; round < rounds; round++) {
    let calls = 0;
    const started = process.cpuUsage();
    let usedMicros = 0;
    while (usedMicros < millis * 1000) {
      for (let i = 0; i < 64; i++) fn(calls++);
      const used = process.cpuUsage(started);
      usedMicros = used.user + used.system;
    }
    results.push((usedMicros * 1000) / calls);
  }
  results.sort((a, b) => a - b);
  return results[Math.floor(results.length / 2)]!;
}

function payloadsOf(shape: Shape): Uint8Array[] {
  const payloadOf = (i: number): Uint8Array =>
    Uint8Array.from({ length: shape.recordBytes }, (_, j) => (i * 31 + j) & 0xff);
  return Array.from({ length: shape.records }, (_, i) => payloadOf(i));
}

export const checksumCostCommand: Command = {
  name: 'checksum-cost',
  summary: 'CPU of batch checksums: v1 whole-batch CRC vs v2 chunks vs per-record CRCs, for the writer and a get',
  usage: 'usage: main.js checksum-cost [--millis 300] [--rounds 5]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { millis: { type: 'string' }, rounds: { type: 'string' } } });
    const millis = positiveNumber(values.millis, '--millis', 300);
    const rounds = positiveInteger(values.rounds, '--rounds', 5);
    const shapes: Shape[] = [
      { label: '256 x 128 B', records: 256, recordBytes: 128 },
      { label: '2 MiB of 1 KiB', records: 2040, recordBytes: 1024 },
    ];
    const chunked = [4096, 8192, 16384, 65536].map(chunkScheme);
    const schemes = [v1Scheme, ...chunked, perRecordScheme];
    console.log('| batch | scheme | writer ns/record | writer µs/batch | get µs, table cached | get µs, table read |');
    console.log('| --- | --- | ---: | ---: | ---: | ---: |');
    for (const shape of shapes) {
      const payloads = payloadsOf(shape);
      const out = new Uint8Array(4 * 1024 * 1024);
      for (const scheme of schemes) {
        const writeNanos = nanosPerCall(() => scheme.write(out, payloads), millis, rounds);
        const warm = scheme.reader(payloads, true);
        const cold = scheme.reader(payloads, false);
        const order = Array.from({ length: 4096 }, (_, i) => (i * 2654435761) % shape.records);
        const warmNanos = nanosPerCall((i) => warm(order[i % order.length]!), millis, rounds);
        const coldNanos = nanosPerCall((i) => cold(order[i % order.length]!), millis, rounds);
        const perRecord = writeNanos / shape.records;
        console.log(
          `| ${shape.label} | ${scheme.label} | ${perRecord.toFixed(1)} | ${(writeNanos / 1000).toFixed(2)} | ${(warmNanos / 1000).toFixed(2)} | ${(coldNanos / 1000).toFixed(2)} |`,
        );
      }
    }
    // The v2 decoder over a whole batch (recovery, sequential reads) against v1's, for the record.
    const whole = payloadsOf({ label: '', records: 2040, recordBytes: 1024 });
    const v2Bytes = encodeBatch(LOG_ID, 0, whole, BLOCK);
    const v1Out = new Uint8Array(3 * 1024 * 1024);
    v1Scheme.write(v1Out, whole);
    new DataView(v1Out.buffer).setUint32(0, 0x31424753, true);
    const dv = new DataView(v1Out.buffer);
    dv.setUint32(16, whole.length, true);
    dv.setUint32(20, whole.length * 1028, true);
    dv.setUint32(4, crc32c(v1Out.subarray(8, 32 + whole.length * 1028), crc32c(LOG_ID)), true);
    const stepV2 = nanosPerCall(() => stepBatch(LOG_ID, v2Bytes, 0, BLOCK, 0), millis, rounds);
    const stepV1 = nanosPerCall(() => stepBatch(LOG_ID, v1Out, 0, BLOCK, 0), millis, rounds);
    console.log(`\nstepBatch over a whole 2 MiB batch: v1 ${(stepV1 / 1000).toFixed(1)} µs, v2 (${limits.batchChunkBytes / 1024} KiB chunks) ${(stepV2 / 1000).toFixed(1)} µs`);
  },
};
