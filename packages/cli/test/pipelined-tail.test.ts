/**
 * `verify` and `repair` on the torn tail a pipelined writer (`maxBatchesInFlight > 1`) can leave:
 * a torn batch followed by complete batches issued before it was acknowledged (their header's
 * `ackedOffset` is at or below the torn batch's offset). The library opens such a log as a torn
 * tail (format's `judgePastChainEnd`, called by recovery); the command must say the same: a torn
 * tail (exit 2) that `repair --apply` cuts with 0 records lost, never mid-log damage. A batch
 * issued after the torn one was acknowledged, or one too many, is damage in both (exit 4 and
 * SEGLOG_CORRUPT). The log is built by the real writer, then its tail is written with format's
 * encoder, as the disk would have left it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { decodeSegmentHeader, encodeBatch } from '@seglog/format';
import { openLog } from '@seglog/store';
import { isSeglogError, limits } from '@seglog/types';
import { hashDir, makeLog, payloadOf, recordsAfterOpen, removeTempDirs, seglog, tailEnd, tempDir, writeAt } from './helpers.js';

test.after.always(removeTempDirs);

const RECORDS = 200;

interface PipelinedTail {
  readonly dir: string;
  readonly file: string;
  /** Where the chain stops: the torn batch at offset RECORDS. */
  readonly at: number;
  /** One past the last byte written past the stop. */
  readonly dataEnd: number;
}

/**
 * A closed log of RECORDS records, then past its end: the torn batch at offset RECORDS (`torn`
 * bytes of it reached the disk: 0 for none), and one complete one-record batch per entry of
 * `acked`, each at the next offset and block, stamped with that `ackedOffset`.
 */
async function pipelinedTail(torn: Uint8Array, acked: readonly number[]): Promise<PipelinedTail> {
  const dir = await makeLog(RECORDS, 256 * 1024);
  const end = await tailEnd(dir);
  const header = decodeSegmentHeader(new Uint8Array(await fs.readFile(end.file)), end.file);
  const { logId, blockBytes } = header;
  if (torn.length > 0) await writeAt(end.file, end.usedBytes, torn);
  let position = end.usedBytes + blockBytes;
  for (const [i, ackedOffset] of acked.entries()) {
    const offset = RECORDS + 1 + i;
    const stamp = { ackedOffset, appendTimeMs: Date.now() };
    const batch = encodeBatch(logId, offset, [payloadOf(offset)], blockBytes, stamp);
    await writeAt(end.file, position, batch);
    position += batch.length;
  }
  const dataEnd = acked.length > 0 ? position : end.usedBytes + torn.length;
  return { dir, file: end.file, at: end.usedBytes, dataEnd: await lastNonZero(end.file, dataEnd) };
}

/** One past the last non-zero byte before `before`: a batch's span ends in zero padding. */
async function lastNonZero(file: string, before: number): Promise<number> {
  const bytes = new Uint8Array(await fs.readFile(file)).subarray(0, before);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return end;
}

function garbage(length: number): Uint8Array {
  const bytes = new Uint8Array(length).fill(0xab);
  bytes.set([0x53, 0x47, 0x42, 0x32], 0); // a v2 batch magic whose body never arrived
  return bytes;
}

/** The library's own verdict, on a copy (open zeroes the stale batches it drops). */
async function libraryVerdict(dir: string): Promise<number | string> {
  const copy = await tempDir('copy');
  await fs.cp(dir, copy, { recursive: true });
  try {
    const log = await openLog({ dir: copy });
    const next = log.nextOffset;
    await log.close();
    return next;
  } catch (error) {
    return isSeglogError(error) ? error.code : String(error);
  }
}

interface VerifyJson {
  exitCode: number;
  bounds: { written: number };
  summary: { records: number };
  tornTail: { okUpTo: number; bytes: number; inFlightBatches: number } | null;
  errors: { kind: string; code: string; offset: number | null; filePosition: number | null }[];
}

const IN_FLIGHT_CASES = [
  { name: 'a torn batch with garbage', torn: garbage(100), acked: [RECORDS, RECORDS] },
  { name: 'a torn batch that never reached the disk', torn: new Uint8Array(0), acked: [RECORDS, RECORDS, RECORDS] },
  { name: 'the most a writer keeps in flight', torn: garbage(40), acked: Array.from({ length: limits.batchesInFlightCountMax - 1 }, () => RECORDS) },
];

for (const { name, torn, acked } of IN_FLIGHT_CASES) {
  test(`${name}, followed by ${acked.length} batches in flight with it, is a torn tail to verify and repair, as to the library`, async (t) => {
    const log = await pipelinedTail(torn, acked);
    t.is(await libraryVerdict(log.dir), RECORDS, 'the library opens it as a torn tail');
    const result = await seglog(['verify', log.dir, '--json']);
    t.is(result.code, 2, result.stdout + result.stderr);
    const parsed = JSON.parse(result.stdout) as VerifyJson;
    t.deepEqual(parsed.errors.map((found) => found.kind), ['torn-tail']);
    t.like(parsed.tornTail, { okUpTo: log.at, bytes: log.dataEnd - log.at, inFlightBatches: acked.length });
    t.is(parsed.bounds.written, RECORDS);
    t.is(parsed.summary.records, RECORDS, 'the in-flight batches are not counted as records');
    t.is((await seglog(['verify', log.dir, '--quick'])).code, 2, 'quick mode applies the same rule');
    const text = await seglog(['verify', log.dir]);
    t.regex(text.stdout, new RegExp(`hold ${acked.length} complete batches that were in flight with the torn one`));

    const before = await hashDir(log.dir);
    const dry = await seglog(['repair', log.dir]);
    t.is(dry.code, 2, dry.stdout + dry.stderr);
    t.regex(dry.stdout, new RegExp(`cut the torn tail of ${path.basename(log.file)}: ${log.dataEnd - log.at} bytes from byte ${log.at}`));
    t.regex(dry.stdout, /records lost: 0/);
    t.is(await hashDir(log.dir), before, 'a dry run changes no byte');
    const applied = await seglog(['repair', log.dir, '--apply']);
    t.is(applied.code, 1, applied.stdout + applied.stderr);
    t.is((await seglog(['verify', log.dir])).code, 0, 'after the cut the log verifies clean');
    t.is(await recordsAfterOpen(log.dir), RECORDS);
  });
}

const DAMAGE_CASES = [
  { name: 'a batch issued after the torn one was acknowledged', acked: [RECORDS, RECORDS + 1] },
  { name: 'one batch more than a writer keeps in flight', acked: Array.from({ length: limits.batchesInFlightCountMax }, () => RECORDS) },
];

for (const { name, acked } of DAMAGE_CASES) {
  test(`${name} past a damaged batch is mid-log damage to verify and repair, as to the library`, async (t) => {
    const log = await pipelinedTail(garbage(100), acked);
    t.is(await libraryVerdict(log.dir), 'SEGLOG_CORRUPT', 'the library refuses to open it');
    const result = await seglog(['verify', log.dir, '--json']);
    t.is(result.code, 4, result.stdout + result.stderr);
    const parsed = JSON.parse(result.stdout) as VerifyJson;
    t.like(parsed.errors[0], { kind: 'damage', code: 'SEGLOG_CORRUPT', offset: RECORDS, filePosition: log.at });
    t.is(parsed.tornTail, null);
    const before = await hashDir(log.dir);
    const refused = await seglog(['repair', log.dir, '--apply']);
    t.is(refused.code, 4, refused.stdout + refused.stderr);
    t.regex(refused.stdout, /refused/);
    t.is(await hashDir(log.dir), before, 'a refused repair changes no byte');
  });
}
