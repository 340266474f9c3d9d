/**
 * One job: corruption fuzzing of reads. One byte of a segment past its header is changed,
 * anywhere. Whatever the reader returns must be exactly what was written, as a gap-free run from
 * the first offset; where it cannot continue it says SEGLOG_CORRUPT, and it may stop quietly only
 * in the last segment (the documented limit: there, damage with nothing after it looks like a
 * write in progress). Set SEGLOG_SEED to replay a failure.
 */
import test from 'ava';
import fc from 'fast-check';
import { SEGMENT_HEADER_BYTES, equalBytes } from '@seglog/format';
import { openLog } from '@seglog/store';
import { Prng, SimFileIO, copyFiles, damageLog, layoutLog, seedFromEnv } from '@seglog/testkit';
import type { LogFiles, LogImage } from '@seglog/testkit';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openReader } from '../src/index.js';
import { CountingIO, writeAt } from './helpers/counting-io.js';
import { buildLog, payloadFor, type IndexLayout } from './helpers/build-log.js';

const layoutArb = fc.record({
  blockBytes: fc.constantFrom(512, 4096),
  index: fc.constantFrom<IndexLayout>('every', 'none', { intervalBytes: 2048 }),
  // Segments of batches of record sizes.
  segments: fc.array(
    fc.array(
      fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 1, maxLength: 5 }),
      { minLength: 1, maxLength: 8 },
    ),
    { minLength: 1, maxLength: 4 },
  ),
});

const damageArb = fc.record({
  segment: fc.nat(),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  xor: fc.integer({ min: 1, max: 255 }),
});

const storeSeed = seedFromEnv(0x5eed);

function seedParams(): { numRuns: number; seed?: number } {
  const seed = process.env['SEGLOG_SEED'];
  return seed === undefined || seed === '' ? { numRuns: 300 } : { numRuns: 300, seed: Number(seed) };
}

test('a changed byte never yields wrong or skipped records', async (t) => {
  let corruptSeen = 0;
  await fc.assert(
    fc.asyncProperty(layoutArb, damageArb, async (layout, damage) => {
      const io = new CountingIO();
      let offset = 0;
      const log = await buildLog(io, {
        blockBytes: layout.blockBytes,
        segments: layout.segments.map((batches) => ({
          index: layout.index,
          batches: batches.map((sizes) => sizes.map((sizeBytes) => payloadFor(offset++, sizeBytes))),
        })),
      });
      const total = offset;
      const damagedIndex = damage.segment % log.segments.length;
      const damaged = log.segments[damagedIndex]!;
      const fileBytes = io.readFileSync(damaged.path);
      const at = log.blockBytes + Math.floor(damage.at * (fileBytes.length - log.blockBytes - 1));
      await writeAt(io, damaged.path, at, Uint8Array.of(fileBytes[at]! ^ damage.xor));
      const inLastSegment = damagedIndex === log.segments.length - 1;

      const reader = await openReader({ dir: log.dir, io });
      let next = 0;
      try {
        for await (const record of reader.read({ from: 0 })) {
          if (record.offset !== next) throw new Error(`record ${record.offset} after ${next - 1}: a gap`);
          if (!equalBytes(record.payload, log.payloads.get(record.offset)!)) throw new Error(`record ${record.offset} differs`);
          next++;
        }
        if (next < total && !inLastSegment) throw new Error(`stopped quietly at ${next} of ${total}, damage in segment ${damagedIndex}`);
      } catch (error) {
        if (!isSeglogError(error, ErrorCodes.CORRUPT)) throw error;
        corruptSeen++;
      }
      await reader.close();

      const fresh = await openReader({ dir: log.dir, io });
      for (let probe = 0; probe < total; probe++) {
        try {
          if (!equalBytes(await fresh.get(probe), log.payloads.get(probe)!)) throw new Error(`get(${probe}) differs`);
        } catch (error) {
          if (isSeglogError(error, ErrorCodes.CORRUPT)) continue;
          if (isSeglogError(error, ErrorCodes.OUT_OF_RANGE) && inLastSegment) continue;
          throw error;
        }
      }
      await fresh.close();
    }),
    seedParams(),
  );
  t.true(corruptSeen > 0, 'some damage was reported as corruption');
});

// ---------------------------------------------------------------------------------------------
// Store-written logs, testkit's catalogue of damage (damageLog), the reader alone (no recovery has
// run). Real logs of three 16 KiB segments are written by the store on SimFileIO, each with an
// unrelated log of the same shape to splice from; each case damages a copy (bit flips, random or
// zeroed ranges, truncation, duplicated or spliced blocks, copied headers, appended blocks, damaged,
// swapped or deleted index files, deleted segments) and then reads it with `read` and `get` only.
// Rules: only SEGLOG_CORRUPT / SEGLOG_OUT_OF_RANGE / SEGLOG_UNSUPPORTED_FORMAT, never a wrong or
// skipped record, every record from the first segment left up to the first damaged offset
// readable, a damaged header fails openReader, damage in a sealed segment or a missing middle
// segment ends a full read in SEGLOG_CORRUPT, and damage in the last segment ends it exactly at the
// first damaged batch (quietly, or with SEGLOG_CORRUPT when an index entry proves a later batch).

const FUZZ_DIR = '/rfuzz/log';
const STORE_CASES = 2000;

/** A log to damage (testkit's LogImage), with its payload salt and record count. */
interface StoreLog extends LogImage {
  readonly salt: number;
  readonly total: number;
}

function storePayload(offset: number, salt: number): Uint8Array {
  const sizeBytes = (Math.imul(offset + salt, 0x9e3779b1) >>> 0) % 400;
  return Uint8Array.from({ length: sizeBytes }, (_, i) => (offset * 131 + i * 7 + salt) & 0xff);
}

/** The files of a closed store log; the log id comes from the PRNG, so a replay repeats every byte. */
async function writeStoreFiles(prng: Prng, salt: number, blockBytes: number): Promise<Map<string, Uint8Array>> {
  const sim = new SimFileIO({ seed: 1 });
  const logId = prng.bytes(16);
  const log = await openLog({
    dir: FUZZ_DIR,
    io: sim,
    blockBytes,
    segmentBytes: 16 * 1024,
    indexIntervalBytes: 2 * blockBytes,
    commitWindow: { fixedMicros: 0 },
    logId,
  });
  const segmentCount = (): number => sim.listDir(FUZZ_DIR).filter((name) => name.endsWith('.seg')).length;
  for (let extra = prng.int(3, 10); segmentCount() < 3 || extra-- > 0; ) {
    const first = log.nextOffset;
    await Promise.all(Array.from({ length: prng.int(1, 10) }, (_, i) => log.append(storePayload(first + i, salt))));
  }
  await log.close();
  return new Map(sim.listDir(FUZZ_DIR).map((name) => [name, sim.readFileSync(`${FUZZ_DIR}/${name}`)] as const));
}

async function writeStoreLog(seed: number, blockBytes: number): Promise<StoreLog> {
  const prng = new Prng(seed);
  const salt = prng.int(0, 1000);
  const files = await writeStoreFiles(prng, salt, blockBytes);
  const foreign = await writeStoreFiles(prng, prng.int(0, 1000), blockBytes);
  const segments = layoutLog(files);
  return { blockBytes, salt, files, segments, foreign, total: segments[segments.length - 1]!.endOffset };
}

interface ReaderExpectation {
  readonly openMustFail: boolean;
  readonly headerDamaged: boolean;
  /** The first offset of the first segment left. */
  readonly firstOffset: number;
  /** A full read must end in SEGLOG_CORRUPT (sealed-segment damage or a missing middle segment). */
  readonly readMustFail: boolean;
  /** Where a full read ends when nothing before it proves corruption. */
  readonly visibleEnd: number;
  readonly intactBelow: number;
}

function differs(original: Uint8Array, damaged: Uint8Array, from: number, to: number): boolean {
  if (damaged.length < to) return true;
  for (let i = from; i < to; i++) if (original[i] !== damaged[i]) return true;
  return false;
}

function readerExpectation(log: StoreLog, files: LogFiles): ReaderExpectation {
  const remaining = log.segments.filter((segment) => files.has(segment.name));
  let intactBelow = log.total;
  let readMustFail = false;
  let headerDamaged = false;
  let firstOrLastHeaderDamaged = false;
  const last = remaining[remaining.length - 1]!;
  let visibleEnd = last.endOffset;
  for (const [i, segment] of remaining.entries()) {
    const next = remaining[i + 1];
    if (next !== undefined && next.baseOffset !== segment.endOffset) {
      readMustFail = true;
      intactBelow = Math.min(intactBelow, segment.endOffset);
    }
    const original = log.files.get(segment.name)!;
    const damaged = files.get(segment.name)!;
    const thisHeader = differs(original, damaged, 0, SEGMENT_HEADER_BYTES);
    headerDamaged ||= thisHeader;
    // openReader reads the first and the last header (segment-catalog.ts); a middle one is checked
    // before the first read of that segment, so a full read must stop there with an error.
    if (thisHeader && i === 0) firstOrLastHeaderDamaged = true;
    if (thisHeader && segment === last) firstOrLastHeaderDamaged = true;
    if (thisHeader && i > 0 && segment !== last) {
      readMustFail = true;
      intactBelow = Math.min(intactBelow, segment.baseOffset);
    }
    const touched = segment.batches.find((batch) => differs(original, damaged, batch.positionBytes, batch.endBytes));
    if (touched === undefined) continue;
    intactBelow = Math.min(intactBelow, touched.firstOffset);
    if (segment === last) visibleEnd = touched.firstOffset;
    else readMustFail = true;
  }
  return {
    openMustFail: firstOrLastHeaderDamaged && remaining.length > 1,
    headerDamaged,
    firstOffset: remaining[0]!.baseOffset,
    readMustFail,
    visibleEnd,
    intactBelow,
  };
}

async function readerCase(log: StoreLog, seed: number): Promise<'refused' | 'corrupt' | 'quiet'> {
  const prng = new Prng(seed);
  const files = copyFiles(log.files);
  const done = damageLog(files, log, prng).join('; ');
  const expect = readerExpectation(log, files);
  const fail = (problem: string): never => {
    throw new Error(`case seed ${seed} [${done}]: ${problem}`);
  };
  const coded = (error: unknown, allowed: readonly string[], where: string): string => {
    if (!isSeglogError(error) || !allowed.includes(error.code)) fail(`${where} threw ${String(error)}`);
    return (error as { code: string }).code;
  };
  const io = new CountingIO();
  await io.mkdirp(FUZZ_DIR);
  for (const [name, bytes] of files) await writeAt(io, `${FUZZ_DIR}/${name}`, 0, bytes);
  let reader;
  try {
    reader = await openReader({ dir: FUZZ_DIR, io });
  } catch (error) {
    const code = coded(error, [ErrorCodes.CORRUPT, ErrorCodes.UNSUPPORTED_FORMAT], 'openReader');
    if (!expect.headerDamaged) fail(`openReader refused (${code}) with no header damaged`);
    return 'refused';
  }
  try {
    if (expect.openMustFail) fail('openReader accepted a damaged segment header');
    const first = await reader.firstOffset();
    if (!expect.headerDamaged && first !== expect.firstOffset) fail(`firstOffset is ${first}, the first segment left starts at ${expect.firstOffset}`);
    const readableEnd = Math.min(expect.intactBelow, expect.visibleEnd);
    const readable = (offset: number): boolean => offset >= first && offset < readableEnd;
    let next = first;
    let corrupt = false;
    try {
      for await (const record of reader.read({ from: first })) {
        if (record.offset !== next) fail(`read returned ${record.offset} where ${next} was due`);
        if (!equalBytes(record.payload, storePayload(next, log.salt))) fail(`read returned a wrong payload at ${next}`);
        next++;
      }
    } catch (error) {
      if ((error as Error).message.startsWith('case seed')) throw error;
      coded(error, [ErrorCodes.CORRUPT, ...(expect.headerDamaged ? [ErrorCodes.UNSUPPORTED_FORMAT] : [])], `read (after ${next})`);
      corrupt = true;
    }
    if (readable(next)) fail(`read stopped at ${next}; below ${expect.intactBelow} nothing is damaged`);
    if (expect.readMustFail && !corrupt) fail(`read ended quietly at ${next} although a sealed segment is damaged or missing`);
    if (!expect.readMustFail && !expect.headerDamaged && next !== expect.visibleEnd) fail(`read ended at ${next}, the first damaged batch of the last segment is at ${expect.visibleEnd}`);
    for (let i = 0; i < 8; i++) {
      const offset = prng.int(0, log.total + 3);
      try {
        if (!equalBytes(await reader.get(offset), storePayload(offset, log.salt))) fail(`get(${offset}) returned a wrong payload`);
      } catch (error) {
        if ((error as Error).message.startsWith('case seed')) throw error;
        const header = expect.headerDamaged ? [ErrorCodes.UNSUPPORTED_FORMAT] : [];
        const allowed = [ErrorCodes.CORRUPT, ErrorCodes.OUT_OF_RANGE, ...header];
        coded(error, allowed, `get(${offset})`);
        if (readable(offset)) fail(`get(${offset}) failed although nothing from ${first} below ${expect.intactBelow} is damaged`);
      }
    }
    return corrupt ? 'corrupt' : 'quiet';
  } finally {
    await reader.close();
  }
}

test(`store-written logs with many kinds of damage: the reader alone returns only right records or coded errors (seed ${storeSeed})`, async (t) => {
  const logs = [await writeStoreLog(storeSeed, 512), await writeStoreLog(storeSeed + 1, 1024)];
  const outcomes = { refused: 0, corrupt: 0, quiet: 0 };
  for (let i = 0; i < STORE_CASES; i++) outcomes[await readerCase(logs[i % logs.length]!, (storeSeed + i) >>> 0)]++;
  t.log(`seed ${storeSeed}: ${STORE_CASES} cases, ${JSON.stringify(outcomes)}`);
  t.true(outcomes.refused > 0 && outcomes.corrupt > 0 && outcomes.quiet > 0, `every outcome was exercised: ${JSON.stringify(outcomes)}`);
});
