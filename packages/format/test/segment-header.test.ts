/**
 * One job: test the segment header (packages/format/src/segment-header.ts): round trips, and the
 * exact error code for every kind of bad header, which recovery relies on to tell a damaged file
 * (SEGLOG_CORRUPT) from one written by a newer seglog (SEGLOG_UNSUPPORTED_FORMAT).
 */
import test from 'ava';
import fc from 'fast-check';
import { isSeglogError, type ErrorCode, type SeglogError } from '@seglog/types';
import { FORMAT_VERSION, SEGMENT_HEADER_BYTES, crc32c, decodeSegmentHeader, encodeSegmentHeader } from '../src/index.js';
import { hex, isAllZero, logIdOf, propertyParams, utf8 } from './support.js';

const FILE = '00000000000000004096.seg';
const LOG_ID = logIdOf(3);
const VERSION_FIELD_BYTES = [8, 9];

function goodHeader(): Uint8Array {
  return encodeSegmentHeader({ blockBytes: 4096, baseOffset: 4096, logId: LOG_ID });
}

/** Rewrites the header CRC so a hand-made field change is the only thing wrong (or right). */
function resealed(block: Uint8Array): Uint8Array {
  new DataView(block.buffer, block.byteOffset).setUint32(40, crc32c(block.subarray(0, 40)), true);
  return block;
}

/** Decodes `block`, expecting a SeglogError that names FILE; returns it. */
function decodeError(block: Uint8Array): SeglogError | undefined {
  try {
    decodeSegmentHeader(block, FILE);
  } catch (error) {
    if (isSeglogError(error)) return error;
    throw error;
  }
  return undefined;
}

test('a header round-trips, and everything after byte 44 of its block is zero', (t) => {
  const block = goodHeader();
  t.is(block.length, 4096);
  t.true(isAllZero(block.subarray(SEGMENT_HEADER_BYTES)));
  t.deepEqual(hex(block.subarray(0, 8)), hex(utf8('SEGLOGv1')));
  const header = decodeSegmentHeader(block, FILE);
  t.is(header.version, FORMAT_VERSION);
  t.is(header.blockBytes, 4096);
  t.is(header.baseOffset, 4096);
  t.is(hex(header.logId), hex(LOG_ID));
});

test('headers round-trip for every block size, base offset and log id', (t) => {
  const blockBytesArb = fc.integer({ min: 9, max: 16 }).map((exponent) => 2 ** exponent);
  const logIdArb = fc.uint8Array({ minLength: 16, maxLength: 16 });
  t.notThrows(() =>
    fc.assert(
      fc.property(blockBytesArb, fc.maxSafeNat(), logIdArb, (blockBytes, baseOffset, logId) => {
        const header = decodeSegmentHeader(encodeSegmentHeader({ blockBytes, baseOffset, logId }), FILE);
        return header.blockBytes === blockBytes && header.baseOffset === baseOffset && hex(header.logId) === hex(logId);
      }),
      propertyParams(200),
    ),
  );
});

test('the decoded log id is a copy: reusing the read buffer cannot change it', (t) => {
  const block = goodHeader();
  const header = decodeSegmentHeader(block, FILE);
  block.fill(0);
  t.is(hex(header.logId), hex(LOG_ID));
});

/**
 * The code a header with byte `position` XORed by `mask` must give. Only the version field may
 * say "newer format", and only when it now reads as a version above ours: no version below 1
 * exists, so a 0 there is damage (docs/format.md: "a newer version gives UNSUPPORTED_FORMAT";
 * errors.ts: "written by a newer format version").
 */
function expectedCodeForFlip(position: number, mask: number): ErrorCode {
  if (!VERSION_FIELD_BYTES.includes(position)) return 'SEGLOG_CORRUPT';
  const flipped = goodHeader();
  flipped[position] = flipped[position]! ^ mask;
  const version = new DataView(flipped.buffer).getUint16(8, true);
  return version > FORMAT_VERSION ? 'SEGLOG_UNSUPPORTED_FORMAT' : 'SEGLOG_CORRUPT';
}

test('every byte of 0..44 XORed with every mask gives exactly the expected code, naming the file', (t) => {
  const wrong: string[] = [];
  for (let position = 0; position < SEGMENT_HEADER_BYTES; position++) {
    for (let mask = 1; mask < 256; mask++) {
      const block = goodHeader();
      block[position] = block[position]! ^ mask;
      const error = decodeError(block);
      const expected = expectedCodeForFlip(position, mask);
      if (error?.code !== expected || error.file !== FILE || !error.message.includes(FILE)) {
        wrong.push(`byte ${position} ^ 0x${mask.toString(16)}: got ${error?.code ?? 'no error'}, want ${expected}`);
      }
    }
  }
  t.deepEqual(wrong, []);
});

test('a flipped version byte that reads as a newer version is SEGLOG_UNSUPPORTED_FORMAT', (t) => {
  const block = goodHeader();
  block[9] = block[9]! ^ 0x01; // version 2 + 256 = 258
  t.is(decodeError(block)?.code, 'SEGLOG_UNSUPPORTED_FORMAT');
  const other = goodHeader();
  other[8] = other[8]! ^ 0x01; // version 3
  t.is(decodeError(other)?.code, 'SEGLOG_UNSUPPORTED_FORMAT');
});

// Regression for a bug in decodeSegmentHeader: with a bad CRC it reports any version other than
// the current one as a newer format, so one flipped bit that turns the version into 0 tells the
// operator to upgrade seglog instead of reporting a damaged file. No format version 0 exists.
test('a header whose version reads 0 is SEGLOG_CORRUPT, not a newer format', (t) => {
  const flipped = goodHeader();
  flipped[8] = flipped[8]! ^ 0x02; // one bit: version 2 -> 0, CRC now wrong
  t.is(decodeError(flipped)?.code, 'SEGLOG_CORRUPT');
  const resealedZero = goodHeader();
  resealedZero[8] = 0;
  t.is(decodeError(resealed(resealedZero))?.code, 'SEGLOG_CORRUPT');
});

test('a version 1 header still decodes, and says version 1', (t) => {
  const block = encodeSegmentHeader({ blockBytes: 4096, baseOffset: 4096, logId: LOG_ID, version: 1 });
  const header = decodeSegmentHeader(block, FILE);
  t.is(header.version, 1);
  t.is(header.baseOffset, 4096);
});

test('a version 3 header with a valid CRC is SEGLOG_UNSUPPORTED_FORMAT naming the file', (t) => {
  const block = goodHeader();
  new DataView(block.buffer).setUint16(8, 3, true);
  const error = decodeError(resealed(block));
  t.is(error?.code, 'SEGLOG_UNSUPPORTED_FORMAT');
  t.is(error?.file, FILE);
  t.true(error?.message.includes(FILE));
});

test('bad magic is SEGLOG_CORRUPT naming the file, at byte 0', (t) => {
  for (const magic of ['SEGLOGv2', 'segloGv1', '\0\0\0\0\0\0\0\0', 'SGB1SGB1']) {
    const block = goodHeader();
    block.set(utf8(magic), 0);
    const error = decodeError(resealed(block));
    t.is(error?.code, 'SEGLOG_CORRUPT', magic);
    t.is(error?.file, FILE);
    t.is(error?.positionBytes, 0);
    t.true(error?.message.includes(FILE));
  }
});

test('a zero block and a short buffer are SEGLOG_CORRUPT', (t) => {
  t.is(decodeError(new Uint8Array(4096))?.code, 'SEGLOG_CORRUPT');
  for (const lengthBytes of [0, 8, 43]) {
    const error = decodeError(goodHeader().subarray(0, lengthBytes));
    t.is(error?.code, 'SEGLOG_CORRUPT', `${lengthBytes} bytes`);
    t.is(error?.file, FILE);
  }
  t.is(decodeSegmentHeader(goodHeader().subarray(0, SEGMENT_HEADER_BYTES), FILE).baseOffset, 4096);
});

test('fields out of range under a valid CRC are SEGLOG_CORRUPT', (t) => {
  const setU32 = (at: number, value: number) => (block: Uint8Array) =>
    new DataView(block.buffer).setUint32(at, value, true);
  const cases: Array<[string, (block: Uint8Array) => void]> = [
    ['blockBytes 3000 (not a power of two)', setU32(12, 3000)],
    ['blockBytes 256 (below one sector)', setU32(12, 256)],
    ['blockBytes 0', setU32(12, 0)],
    ['base offset at 2^53', setU32(20, 2 ** 21)],
  ];
  for (const [name, change] of cases) {
    const block = goodHeader();
    change(block);
    t.is(decodeError(resealed(block))?.code, 'SEGLOG_CORRUPT', name);
  }
});

// Pair assertion: whatever the encoder accepts, the decoder must read back. The decoder refuses
// blockBytes below 512 (one sector, limits.blockBytesMin), so the encoder must refuse them too,
// rather than write a segment that its own reader calls corrupt.
test('the encoder refuses the block sizes the decoder rejects', (t) => {
  for (const blockBytes of [64, 128, 256]) {
    const error = t.throws(() => encodeSegmentHeader({ blockBytes, baseOffset: 0, logId: LOG_ID }));
    t.true(isSeglogError(error, 'SEGLOG_ASSERTION'), `blockBytes ${blockBytes}`);
  }
});

test('misuse of the encoder is an assertion', (t) => {
  const assertion = (fn: () => unknown): void => {
    t.true(isSeglogError(t.throws(fn), 'SEGLOG_ASSERTION'));
  };
  assertion(() => encodeSegmentHeader({ blockBytes: 4000, baseOffset: 0, logId: LOG_ID }));
  assertion(() => encodeSegmentHeader({ blockBytes: 4096, baseOffset: 0, logId: new Uint8Array(15) }));
  assertion(() => encodeSegmentHeader({ blockBytes: 4096, baseOffset: -1, logId: LOG_ID }));
  assertion(() => encodeSegmentHeader({ blockBytes: 4096, baseOffset: 2 ** 53, logId: LOG_ID }));
});
