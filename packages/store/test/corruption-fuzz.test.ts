/**
 * One job: corruption fuzzing of the whole stack. Small real logs (three 16 KiB segments, built by
 * the store) are damaged in thousands of seeded ways (testkit's damageLog), then opened with
 * openLog and read back with testkit's readLog. Each case is judged by helpers/fuzz-case.ts: only
 * documented SeglogError codes, never a wrong payload, nothing lost below the damage, and the
 * exact outcome wherever the format spec decides it (torn tail, corruption before valid data,
 * missing segments). scripts/fuzz-soak.ts runs many more.
 * Reproduce: SEGLOG_SEED=<run seed> npx ava test/corruption-fuzz.test.ts (add SEGLOG_FUZZ_CASE=<case seed>
 * to run one case). Log ids are derived from the seed, so a replay repeats every byte.
 */
import test from 'ava';
import { posix } from 'node:path';
import { copyFiles, seedFromEnv } from '@seglog/testkit';
import { isSeglogError } from '@seglog/types';
import { openLog } from '../src/index.js';
import { buildBaseLog, FUZZ_DIR, VARIANTS, simWithFiles } from './helpers/fuzz-base-log.js';
import { runFuzzCase } from './helpers/fuzz-case.js';
import type { CaseOutcome } from './helpers/fuzz-case.js';

const seed = seedFromEnv(0xc0ffee);
const CASES = 5000;
const onlyCase = process.env['SEGLOG_FUZZ_CASE'];

test(`damaged logs give coded errors or the right records, never wrong data (seed ${seed})`, async (t) => {
  const bases = await Promise.all(VARIANTS.map((variant, i) => buildBaseLog(variant, (seed + i) >>> 0)));
  const counts: Record<CaseOutcome, number> = { refused: 0, 'read-failed': 0, opened: 0 };
  const first = onlyCase === undefined ? 0 : Number(onlyCase) - seed;
  const cases = onlyCase === undefined ? CASES : 1;
  for (let i = first; i < first + cases; i++) {
    const caseSeed = (seed + i) >>> 0;
    counts[await runFuzzCase(bases[i % bases.length]!, caseSeed)]++;
  }
  t.log(`seed ${seed}: ${cases} cases, ${JSON.stringify(counts)}`);
  if (onlyCase !== undefined) {
    t.pass();
    return;
  }
  // The damages must exercise every outcome, or the fuzz is not testing what it claims.
  t.true(counts.refused > cases / 10, `open refused often (${counts.refused})`);
  t.true(counts.opened > cases / 10, `open succeeded often (${counts.opened})`);
  t.true(counts['read-failed'] > 0, `sealed-segment damage surfaced on read (${counts['read-failed']})`);
});

test('a later batch found right at the break (a misdirected write) is SEGLOG_CORRUPT, not a torn tail to drop', async (t) => {
  let base = await buildBaseLog(VARIANTS[0]!, seed);
  // The last segment needs two batches; a few seeds in, one has them.
  for (let next = seed + 1; base.segments[base.segments.length - 1]!.batches.length < 2; next++) {
    base = await buildBaseLog(VARIANTS[0]!, next);
  }
  const last = base.segments[base.segments.length - 1]!;
  const [before, moved] = last.batches.slice(-2) as [(typeof last.batches)[number], (typeof last.batches)[number]];
  const files = copyFiles(base.files);
  const bytes = files.get(last.name)!;
  // The last batch lands where the one before it was, and its own place reads as zeros.
  const copy = bytes.slice(moved.positionBytes, moved.endBytes);
  bytes.fill(0, before.positionBytes, moved.endBytes);
  bytes.set(copy, before.positionBytes);
  const io = await simWithFiles(FUZZ_DIR, files);
  const opened = openLog({ dir: FUZZ_DIR, io, ...base.options });
  const error = await t.throwsAsync(opened.then(async (log) => {
    const nextOffset = log.nextOffset;
    await log.close();
    return nextOffset;
  }), undefined, `acknowledged records ${moved.firstOffset}..${last.endOffset - 1} verify in the file but would be dropped`);
  t.true(isSeglogError(error, 'SEGLOG_CORRUPT'), String(error));
  t.like(error, { file: posix.join(FUZZ_DIR, last.name), positionBytes: before.positionBytes });
});
