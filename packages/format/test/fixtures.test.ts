/**
 * One job: today's decoder must read the committed format-v1 golden segment, in the default run.
 *
 * test/fixtures/v1/00000000000000000000.seg is a segment (blockBytes 512) with a header, three
 * batches and one zero block of preallocated space; expected.json describes every batch and
 * record in it. The files are written ONLY when SEGLOG_UPDATE_FIXTURES=1 (the way etcd rewrites
 * its TestNew.wal), and never otherwise: a format change that breaks them must be seen, not
 * silently re-recorded. When format v2 arrives, v1 stays as it is and gets a v2 sibling.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import test from 'ava';
import {
  FORMAT_VERSION,
  decodeBatch,
  decodeSegmentHeader,
  encodeBatch,
  encodeSegmentHeader,
  parseSegmentFileName,
  peekBatchHeader,
} from '../src/index.js';
import { concatBytes, fromHex, hex, isAllZero, patternBytes, utf8 } from './support.js';

const FIXTURE_DIR = new URL('./fixtures/v1/', import.meta.url);
const SEGMENT_FILE = '00000000000000000000.seg';
const SEGMENT_URL = new URL(SEGMENT_FILE, FIXTURE_DIR);
const EXPECTED_URL = new URL('expected.json', FIXTURE_DIR);
/** A bound on the batch walk, so a decoder bug cannot loop forever on the fixture. */
const BATCHES_MAX = 64;

interface ExpectedBatch {
  positionBytes: number;
  firstOffset: number;
  recordCount: number;
  bodyBytes: number;
  spanBytes: number;
  crc: number;
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
// spanning two blocks; batch 3 fills its block exactly (32 + 5 + 6 + 469 = 512), so no padding.
const BLOCK_BYTES = 512;
const LOG_ID = fromHex('5e6c0961d00d1e55c0ffee0123456789');
const DEFINITION: Uint8Array[][] = [
  [utf8('hello'), new Uint8Array(0), utf8('seglog format v1')],
  [patternBytes(600, 1)],
  [utf8('a'), utf8('bc'), patternBytes(465, 2)],
];

/** Builds the segment and its description with today's encoder (update mode only). */
function buildFixture(): { segment: Uint8Array; expected: Expected } {
  const parts = [encodeSegmentHeader({ blockBytes: BLOCK_BYTES, baseOffset: 0, logId: LOG_ID })];
  const batches: ExpectedBatch[] = [];
  let positionBytes = BLOCK_BYTES;
  let offset = 0;
  for (const payloads of DEFINITION) {
    const encoded = encodeBatch(LOG_ID, offset, payloads, BLOCK_BYTES);
    const header = peekBatchHeader(encoded, 0)!;
    const records = payloads.map((payload, i) => ({ offset: offset + i, payloadHex: hex(payload) }));
    const { bodyBytes, crc } = header;
    batches.push({
      positionBytes,
      firstOffset: offset,
      recordCount: payloads.length,
      bodyBytes,
      spanBytes: encoded.length,
      crc,
      records,
    });
    parts.push(encoded);
    positionBytes += encoded.length;
    offset += payloads.length;
  }
  parts.push(new Uint8Array(BLOCK_BYTES)); // preallocated, never written
  const segment = concatBytes(parts);
  const expected: Expected = {
    formatVersion: FORMAT_VERSION,
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
  const { segment, expected } = buildFixture();
  await mkdir(FIXTURE_DIR, { recursive: true });
  await writeFile(SEGMENT_URL, segment);
  await writeFile(EXPECTED_URL, `${JSON.stringify(expected, null, 2)}\n`);
});

async function loadFixture(): Promise<{ segment: Uint8Array; expected: Expected }> {
  const segment = new Uint8Array(await readFile(SEGMENT_URL));
  const expected = JSON.parse(await readFile(EXPECTED_URL, 'utf8')) as Expected;
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
    const records = payloads.map((payload, i) => ({ offset: offset + i, payloadHex: hex(payload) }));
    const { firstOffset, recordCount, bodyBytes, crc } = header;
    batches.push({ positionBytes, firstOffset, recordCount, bodyBytes, spanBytes, crc, records });
    positionBytes += spanBytes;
    offset += payloads.length;
  }
  return { batches, endPositionBytes: positionBytes };
}

test('the v1 segment header decodes as described', async (t) => {
  const { segment, expected } = await loadFixture();
  t.is(expected.formatVersion, 1);
  t.is(segment.length, expected.fileBytes);
  const header = decodeSegmentHeader(segment, expected.file);
  t.is(header.version, 1);
  t.is(header.blockBytes, expected.blockBytes);
  t.is(header.baseOffset, expected.baseOffset);
  t.is(hex(header.logId), expected.logIdHex);
  t.is(parseSegmentFileName(expected.file), header.baseOffset, 'the name matches the base offset');
});

test('every v1 batch and record decodes as described, and the walk stops at the zero block', async (t) => {
  const { segment, expected } = await loadFixture();
  const header = decodeSegmentHeader(segment, expected.file);
  const walked = walkBatches(segment, header.logId, header.blockBytes, header.baseOffset);
  t.deepEqual(walked.batches, expected.batches);
  t.is(walked.endPositionBytes, expected.endPositionBytes);
  t.true(isAllZero(segment.subarray(walked.endPositionBytes)), 'preallocated space is zero');
  t.is(expected.batches.flatMap((batch) => batch.records).length, 7, 'the fixture holds 7 records');
});

test('the v1 batches do not decode under another log id', async (t) => {
  const { segment, expected } = await loadFixture();
  const otherLogId = fromHex(expected.logIdHex).map((byte) => byte ^ 0x01);
  for (const batch of expected.batches) {
    t.is(decodeBatch(otherLogId, segment, batch.positionBytes, expected.blockBytes), null);
  }
});

// While v1 is the current format, the encoder must also still write these exact bytes: a change
// that alters the bytes but still round-trips (a new CRC seed, another padding) is a format change.
test('today\'s encoder writes the v1 fixture byte for byte', async (t) => {
  const { segment, expected } = await loadFixture();
  const built = buildFixture();
  t.is(hex(built.segment), hex(segment));
  t.deepEqual(built.expected, expected, 'expected.json describes DEFINITION; regenerate with SEGLOG_UPDATE_FIXTURES=1');
});
