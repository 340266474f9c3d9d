/**
 * One job: run one corruption case end to end and judge it. Damage a copy of a base log (seeded),
 * open it with the real store on MemFileIO, read everything back through the reader, look up random
 * offsets, and sometimes append and reopen. Every outcome is checked against fuzz-facts.ts:
 * only SeglogErrors with a documented code may escape (never a TypeError, RangeError or
 * SEGLOG_ASSERTION), no payload may differ from what was appended at its offset, and nothing below
 * the first damaged offset may be lost. A broken rule throws a FuzzViolation naming the case seed.
 */
import { posix } from 'node:path';
import { openReader } from '@seglog/reader';
import type { Reader } from '@seglog/reader';
import { Prng } from '@seglog/testkit';
import { ErrorCodes, SeglogError } from '@seglog/types';
import type { ErrorCode } from '@seglog/types';
import { openLog } from '../../src/index.js';
import type { Log } from '../../src/index.js';
import { FUZZ_DIR } from './fuzz-base-log.js';
import type { BaseLog } from './fuzz-base-log.js';
import { applyDamages, copyFiles } from './fuzz-damage.js';
import { expectationFor } from './fuzz-facts.js';
import type { Expectation } from './fuzz-facts.js';
import { MemFileIO } from './fuzz-memfs.js';
import { FUZZ_PROFILE, payloadAt, payloadMismatch } from './fuzz-pattern.js';

export type CaseOutcome = 'refused' | 'read-failed' | 'opened';

export class FuzzViolation extends Error {
  override readonly name = 'FuzzViolation';
}

const OPEN_CODES: ReadonlySet<ErrorCode> = new Set([ErrorCodes.CORRUPT, ErrorCodes.UNSUPPORTED_FORMAT]);
const READ_CODES: ReadonlySet<ErrorCode> = new Set([ErrorCodes.CORRUPT]);
const GET_CODES: ReadonlySet<ErrorCode> = new Set([ErrorCodes.CORRUPT, ErrorCodes.OUT_OF_RANGE]);

interface CaseContext {
  readonly base: BaseLog;
  readonly io: MemFileIO;
  readonly expect: Expectation;
  readonly prng: Prng;
  readonly fail: (problem: string, cause?: unknown) => never;
}

/** The error if it is a coded SeglogError from `allowed`, else a violation. */
function codedError(ctx: CaseContext, error: unknown, allowed: ReadonlySet<ErrorCode>, where: string): SeglogError {
  if (!(error instanceof SeglogError)) ctx.fail(`${where} threw ${(error as Error)?.name}: ${(error as Error)?.message}`, error);
  if (!allowed.has(error.code)) ctx.fail(`${where} threw ${error.code}, expected one of ${[...allowed].join(', ')}: ${error.message}`, error);
  if (error.code === ErrorCodes.CORRUPT && (typeof error.file !== 'string' || typeof error.positionBytes !== 'number')) {
    ctx.fail(`${where}: SEGLOG_CORRUPT without file and positionBytes: ${error.message}`, error);
  }
  return error;
}

function checkRefusal(ctx: CaseContext, error: unknown): void {
  const coded = codedError(ctx, error, OPEN_CODES, 'openLog');
  const { expect } = ctx;
  // A damaged earlier (no longer active) segment may be caught at open (if the damage lies past its last index entry) or on read.
  const mayRefuse = expect.mustRefuse !== null || expect.readMustFail;
  if (!mayRefuse) ctx.fail(`openLog refused a log it must open: ${coded.message}`, coded);
  if (coded.code === ErrorCodes.UNSUPPORTED_FORMAT && !expect.headerDamaged) ctx.fail(`SEGLOG_UNSUPPORTED_FORMAT with no header damaged: ${coded.message}`);
  if (expect.corruptAt !== null) {
    const file = posix.join(FUZZ_DIR, expect.corruptAt.name);
    if (coded.code !== ErrorCodes.CORRUPT || coded.file !== file || coded.positionBytes !== expect.corruptAt.positionBytes) {
      ctx.fail(`expected SEGLOG_CORRUPT at ${file} byte ${expect.corruptAt.positionBytes}, got ${coded.code} at ${coded.file} byte ${coded.positionBytes}: ${coded.message}`);
    }
  }
}

function checkOpened(ctx: CaseContext, log: Log): void {
  const { expect } = ctx;
  if (expect.mustRefuse !== null) ctx.fail(`openLog succeeded (nextOffset ${log.nextOffset}) but must refuse: ${expect.mustRefuse}`);
  if (log.firstOffset !== expect.firstOffset) ctx.fail(`firstOffset ${log.firstOffset}, expected ${expect.firstOffset}`);
  if (expect.nextOffset !== null && log.nextOffset !== expect.nextOffset) ctx.fail(`nextOffset ${log.nextOffset}, expected ${expect.nextOffset}`);
  if (log.nextOffset > ctx.base.nextOffset) ctx.fail(`nextOffset ${log.nextOffset} is past the ${ctx.base.nextOffset} records ever written`);
  const mustReach = Math.min(expect.intactBelow, ctx.base.nextOffset);
  if (log.nextOffset < mustReach) ctx.fail(`nextOffset ${log.nextOffset}: records below ${mustReach} were not damaged but are gone`);
}

/** Reads from the first offset to the end; returns how far it got and whether it ended in an error. */
async function readAll(ctx: CaseContext, reader: Reader, log: Log): Promise<boolean> {
  let expected = log.firstOffset;
  let failed = false;
  try {
    const first = await reader.firstOffset();
    if (first !== log.firstOffset) ctx.fail(`reader firstOffset ${first}, log says ${log.firstOffset}`);
    for await (const record of reader.read({ from: first })) {
      if (record.offset !== expected) ctx.fail(`read returned offset ${record.offset} where ${expected} was due`);
      const mismatch = payloadMismatch(record.offset, ctx.base.salt, FUZZ_PROFILE, record.payload);
      if (mismatch !== null) ctx.fail(`read returned a wrong payload: ${mismatch}`);
      expected++;
    }
  } catch (error) {
    if (error instanceof FuzzViolation) throw error;
    codedError(ctx, error, READ_CODES, `read (after ${expected})`);
    failed = true;
  }
  const mustReach = Math.min(ctx.expect.intactBelow, log.nextOffset);
  if (expected < mustReach) ctx.fail(`read stopped at ${expected}; records below ${mustReach} are undamaged`);
  if (!failed && expected !== log.nextOffset) ctx.fail(`read ended quietly at ${expected}, the log ends at ${log.nextOffset}`);
  if (ctx.expect.readMustFail && !failed) ctx.fail('an earlier (closed) segment is damaged, yet the whole log read back without SEGLOG_CORRUPT');
  if (!ctx.expect.readMustFail && failed) ctx.fail(`read failed with nothing damaged below ${log.nextOffset} that open could miss`);
  return failed;
}

/** `get` at random offsets: the right payload, or a coded error, and always the payload when undamaged. */
async function randomGets(ctx: CaseContext, reader: Reader, log: Log): Promise<void> {
  const intactEnd = Math.min(ctx.expect.intactBelow, log.nextOffset);
  for (let i = 0; i < 6; i++) {
    const offset = ctx.prng.int(0, ctx.base.nextOffset + 4);
    try {
      const payload = await reader.get(offset);
      const mismatch = payloadMismatch(offset, ctx.base.salt, FUZZ_PROFILE, payload);
      if (mismatch !== null) ctx.fail(`get returned a wrong payload: ${mismatch}`);
      if (offset >= log.nextOffset) ctx.fail(`get(${offset}) returned a record at or past nextOffset ${log.nextOffset}`);
    } catch (error) {
      if (error instanceof FuzzViolation) throw error;
      codedError(ctx, error, GET_CODES, `get(${offset})`);
      if (offset >= log.firstOffset && offset < intactEnd) ctx.fail(`get(${offset}) failed although it is undamaged: ${(error as Error).message}`);
    }
  }
}

/** After a successful open the log must take appends at nextOffset, keep them across a reopen, and read them back. */
async function appendAndReopen(ctx: CaseContext, log: Log): Promise<void> {
  const start = log.nextOffset;
  const count = ctx.prng.int(1, 20);
  const offsets = await Promise.all(Array.from({ length: count }, (_, i) => log.append(payloadAt(start + i, ctx.base.salt, FUZZ_PROFILE))));
  offsets.forEach((offset, i) => offset !== start + i && ctx.fail(`append after recovery got offset ${offset}, expected ${start + i}`));
  await log.close();
  const again = await openLog({ dir: FUZZ_DIR, io: ctx.io, ...ctx.base.options });
  try {
    if (again.nextOffset !== start + count) ctx.fail(`after appending ${count} at ${start} and reopening, nextOffset is ${again.nextOffset}`);
    const reader = await openReader({ dir: FUZZ_DIR, io: ctx.io });
    try {
      let expected = start;
      for await (const record of reader.read({ from: start, to: start + count })) {
        const mismatch = payloadMismatch(record.offset, ctx.base.salt, FUZZ_PROFILE, record.payload);
        if (record.offset !== expected++ || mismatch !== null) ctx.fail(`appended record read back wrong at ${record.offset}: ${mismatch}`);
      }
    } finally {
      await reader.close();
    }
  } finally {
    await again.close();
  }
}

async function runOpened(ctx: CaseContext, log: Log): Promise<CaseOutcome> {
  checkOpened(ctx, log);
  const reader = await openReader({ dir: FUZZ_DIR, io: ctx.io }).catch((error: unknown) => {
    throw codedError(ctx, error, OPEN_CODES, 'openReader after a successful openLog');
  });
  let failed: boolean;
  try {
    failed = await readAll(ctx, reader, log);
    await randomGets(ctx, reader, log);
  } finally {
    await reader.close();
  }
  if (ctx.prng.bool(0.25)) await appendAndReopen(ctx, log);
  return failed ? 'read-failed' : 'opened';
}

/** Runs the case `seed` against `base`; resolves with what happened or rejects with a FuzzViolation. */
export async function runFuzzCase(base: BaseLog, seed: number): Promise<CaseOutcome> {
  const prng = new Prng(seed);
  const files = copyFiles(base.files);
  const damages = applyDamages(files, base, prng);
  const expect = expectationFor(base, files);
  const io = new MemFileIO();
  io.load(FUZZ_DIR, files);
  const fail = (problem: string, cause?: unknown): never => {
    throw new FuzzViolation(`case seed ${seed} [${damages.join('; ')}]: ${problem}`, cause === undefined ? undefined : { cause });
  };
  const ctx: CaseContext = { base, io, expect, prng, fail };
  let log: Log;
  try {
    log = await openLog({ dir: FUZZ_DIR, io, ...base.options });
  } catch (error) {
    checkRefusal(ctx, error);
    return 'refused';
  }
  try {
    return await runOpened(ctx, log);
  } catch (error) {
    if (error instanceof FuzzViolation) throw error;
    return fail(`unexpected ${(error as Error)?.name}: ${(error as Error)?.message}`, error);
  } finally {
    await log.close();
  }
}
