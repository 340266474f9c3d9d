/**
 * One job: today's decoder must read the committed golden segments of every format version, in
 * the default run.
 *
 * test/fixtures/v<N>/00000000000000000000.seg is a segment (blockBytes 512) of version N with a
 * header, three batches and one zero block of preallocated space; expected.json describes every
 * batch and record in it. The files are written ONLY when SEGLOG_UPDATE_FIXTURES=1 (the way etcd
 * rewrites its TestNew.wal), and never otherwise: a format change that breaks them must be seen,
 * not silently re-recorded. v1 was made by the v1 encoder (batch-v1.ts, kept byte for byte); v2 is
 * today's format. A format v3 leaves both as they are and gets a v3 sibling.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import test from 'ava';
import {
  decodeBatch,
  decodeSegmentHeader,
  encodeBatch,
  encodeBatchV1,
  encodeSegmentHeader,
  parseSegmentFileName,
  peekBatchHeader,
  type BatchHeader,
} from '../src/index.js';
import { concatBytes, fromHex, hex, isAllZero, patternBytes, utf8 } from './support.js';

const SEGMENT_FILE = '00000000000000000000.seg';
/** A bound on the batch walk, so a decoder bug cannot loop forever on the fixture. */
const BATCHES_MAX = 64;

interface ExpectedBatch {
  positionBytes: number;
  firstOffset: number;
  recordCount: number;
  bodyBytes: number;
  spanBytes: number;
  crc: number;
  /** v2 only (absent from the v1 file, which predates them). */
  ackedOffset?: number;
  appendTimeMs?: number;
  chunkCount?: number;
  records: Array<{ offset: number; payloadHex: string }>;
}

interface Expected {
  formatVersion: number;
  file: string;
  blockBytes: number;
  baseOffset: number;
  logIdHex: string;
  fileBytes: number;
  /** Where the walk stops: the first block after the last batch (zero, preallocated). */
  endPositionBytes: number;
  batches: ExpectedBatch[];
}

// The fixture's content. Batch 1 has an empty record between two others; batch 2 is one record
// spanning two blocks; batch 3 fills its block exactly in v1 (32 + 5 + 6 + 469 = 512), so no
// padding. In v2, batch 3 is split into two chunks by a 300-byte chunk target.
const BLOCK_BYTES = 512;
const LOG_ID = fromHex('5e6c0961d00d1e55c0ffee0123456789');
const DEFINITION: Uint8Array[][] = [
  [utf8('hello'), new Uint8Array(0), utf8('seglog format v1')],
  [patternBytes(600, 1)],
  [utf8('a'), utf8('bc'), patternBytes(465, 2)],
];
/** v2 stamps: batch i was sealed with the log acknowledged up to `ackedOffsets[i]`, at `timesMs[i]`. */
const V2_ACKED_OFFSETS = [0, 2, 4];
const V2_TIMES_MS = [1_765_000_000_000, 1_765_000_000_250, 1_765_000_001_000];
const V2_CHUNK_BYTES = 300;

interface FixtureSpec {
  readonly version: 1 | 2;
  readonly dir: URL;
  readonly encode: (firstOffset: number, payloads: Uint8Array[], index: number) => Uint8Array;
}

const SPECS: FixtureSpec[] = [
  { version: 1, dir: new URL('./fixtures/v1/', import.meta.url), encode: (first, payloads) => encodeBatchV1(LOG_ID, first, payloads, BLOCK_BYTES) },
  {
    version: 2,
    dir: new URL('./fixtures/v2/', import.meta.url),
    encode: (first, payloads, index) =>
      encodeBatch(LOG_ID, first, payloads, BLOCK_BYTES, {
        ackedOffset: V2_ACKED_OFFSETS[index]!,
        appendTimeMs: V2_TIMES_MS[index]!,
        chunkBytes: V2_CHUNK_BYTES,
      }),
  },
];

function describeBatch(
  positionBytes: number,
  header: BatchHeader,
  spanBytes: number,
  payloads: Uint8Array[],
): ExpectedBatch {
  const { firstOffset, recordCount, bodyBytes, crc } = header;
  const records = payloads.map((payload, i) => ({ offset: firstOffset + i, payloadHex: hex(payload) }));
  const base = { positionBytes, firstOffset, recordCount, bodyBytes, spanBytes, crc };
  if (header.version === 1) return { ...base, records };
  const stamp = { ackedOffset: header.ackedOffset!, appendTimeMs: header.appendTimeMs!, chunkCount: header.chunkCount };
  return { ...base, ...stamp, records };
}

/** Builds the segment and its description with the version's encoder (update mode, and the byte-for-byte test). */
function buildFixture(spec: FixtureSpec): { segment: Uint8Array; expected: Expected } {
  const parts = [encodeSegmentHeader({ blockBytes: BLOCK_BYTES, baseOffset: 0, logId: LOG_ID, version: spec.version })];
  const batches: ExpectedBatch[] = [];
  let positionBytes = BLOCK_BYTES;
  let offset = 0;
  DEFINITION.forEach((payloads, index) => {
    const encoded = spec.encode(offset, payloads, index);
    batches.push(describeBatch(positionBytes, peekBatchHeader(encoded, 0)!, encoded.length, payloads));
    parts.push(encoded);
    positionBytes += encoded.length;
    offset += payloads.length;
  });
  parts.push(new Uint8Array(BLOCK_BYTES)); // preallocated, never written
  const segment = concatBytes(parts);
  const expected: Expected = {
    formatVersion: spec.version,
    file: SEGMENT_FILE,
    blockBytes: BLOCK_BYTES,
    baseOffset: 0,
    logIdHex: hex(LOG_ID),
    fileBytes: segment.length,
    endPositionBytes: positionBytes,
    batches,
  };
  return { segment, expected };
}

test.before(async () => {
  if (process.env['SEGLOG_UPDATE_FIXTURES'] !== '1') return;
  for (const spec of SPECS) {
    const { segment, expected } = buildFixture(spec);
    await mkdir(spec.dir, { recursive: true });
    await writeFile(new URL(SEGMENT_FILE, spec.dir), segment);
    await writeFile(new URL('expected.json', spec.dir), `${JSON.stringify(expected, null, 2)}\n`);
  }
});

async function loadFixture(spec: FixtureSpec): Promise<{ segment: Uint8Array; expected: Expected }> {
  const segment = new Uint8Array(await readFile(new URL(SEGMENT_FILE, spec.dir)));
  const expected = JSON.parse(await readFile(new URL('expected.json', spec.dir), 'utf8')) as Expected;
  return { segment, expected };
}

/** Reads batches from block 1 on, each expected at the offset after the last, until a non-batch. */
function walkBatches(segment: Uint8Array, logId: Uint8Array, blockBytes: number, baseOffset: number) {
  const batches: ExpectedBatch[] = [];
  let positionBytes = blockBytes;
  let offset = baseOffset;
  while (peekBatchHeader(segment, positionBytes) !== null) {
    if (batches.length >= BATCHES_MAX) throw new Error(`more than ${BATCHES_MAX} batches in the fixture`);
    const decoded = decodeBatch(logId, segment, positionBytes, blockBytes, offset);
    if (decoded === null) throw new Error(`the batch at byte ${positionBytes} does not decode`);
    const { header, payloads, spanBytes } = decoded;
    batches.push(describeBatch(positionBytes, header, spanBytes, payloads));
    positionBytes += spanBytes;
    offset += payloads.length;
  }
  return { batches, endPositionBytes: positionBytes };
}

for (const spec of SPECS) {
  const v = `v${spec.version}`;

  test(`the ${v} segment header decodes as described`, async (t) => {
    const { segment, expected } = await loadFixture(spec);
    t.is(expected.formatVersion, spec.version);
    t.is(segment.length, expected.fileBytes);
    const header = decodeSegmentHeader(segment, expected.file);
    t.is(header.version, spec.version);
    t.is(header.blockBytes, expected.blockBytes);
    t.is(header.baseOffset, expected.baseOffset);
    t.is(hex(header.logId), expected.logIdHex);
    t.is(parseSegmentFileName(expected.file), header.baseOffset, 'the name matches the base offset');
  });

  test(`every ${v} batch and record decodes as described, and the walk stops at the zero block`, async (t) => {
    const { segment, expected } = await loadFixture(spec);
    const header = decodeSegmentHeader(segment, expected.file);
    const walked = walkBatches(segment, header.logId, header.blockBytes, header.baseOffset);
    t.deepEqual(walked.batches, expected.batches);
    t.is(walked.endPositionBytes, expected.endPositionBytes);
    t.true(isAllZero(segment.subarray(walked.endPositionBytes)), 'preallocated space is zero');
    t.is(expected.batches.flatMap((batch) => batch.records).length, 7, 'the fixture holds 7 records');
  });

  test(`the ${v} batches do not decode under another log id`, async (t) => {
    const { segment, expected } = await loadFixture(spec);
    const otherLogId = fromHex(expected.logIdHex).map((byte) => byte ^ 0x01);
    for (const batch of expected.batches) {
      t.is(decodeBatch(otherLogId, segment, batch.positionBytes, expected.blockBytes), null);
    }
  });

  // The version's encoder must still write these exact bytes: a change that alters the bytes but
  // still round-trips (a new CRC seed, another padding) is a format change.
  test(`the ${v} encoder writes the ${v} fixture byte for byte`, async (t) => {
    const { segment, expected } = await loadFixture(spec);
    const built = buildFixture(spec);
    t.is(hex(built.segment), hex(segment));
    t.deepEqual(built.expected, expected, 'expected.json describes DEFINITION; regenerate with SEGLOG_UPDATE_FIXTURES=1');
  });
}

test('the v2 fixture carries its stamps and splits batch 3 into chunks', async (t) => {
  const { expected } = await loadFixture(SPECS[1]!);
  t.deepEqual(expected.batches.map((batch) => batch.ackedOffset), V2_ACKED_OFFSETS);
  t.deepEqual(expected.batches.map((batch) => batch.appendTimeMs), V2_TIMES_MS);
  t.deepEqual(expected.batches.map((batch) => batch.chunkCount), [1, 1, 2]);
});
