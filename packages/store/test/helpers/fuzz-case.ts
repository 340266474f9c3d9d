/**
 * One job: run one corruption case end to end and judge it. Damage a copy of a base log (seeded),
 * open it with the real store on testkit's SimFileIO, read everything back with testkit's readLog
 * (through @seglog/format alone: what a reader does with the same damage is the reader's own fuzz),
 * and sometimes append and reopen. Every outcome is checked against fuzz-facts.ts:
 * only SeglogErrors with a documented code may escape (never a TypeError, RangeError or
 * SEGLOG_ASSERTION), no payload may differ from what was appended at its offset, and nothing below
 * the first damaged offset may be lost. A broken rule throws a FuzzViolation naming the case seed.
 */
import { posix } from 'node:path';
import { Prng, copyFiles, damageLog, readLog } from '@seglog/testkit';
import type { SimFileIO } from '@seglog/testkit';
import { ErrorCodes, SeglogError } from '@seglog/types';
import type { ErrorCode } from '@seglog/types';
import { openLog } from '../../src/index.js';
import type { Log } from '../../src/index.js';
import { FUZZ_DIR, simWithFiles } from './fuzz-base-log.js';
import type { BaseLog } from './fuzz-base-log.js';
import { expectationFor } from './fuzz-facts.js';
import type { Expectation } from './fuzz-facts.js';
import { FUZZ_PROFILE, payloadAt, payloadMismatch } from './fuzz-pattern.js';

export type CaseOutcome = 'refused' | 'read-failed' | 'opened';

export class FuzzViolation extends Error {
  override readonly name = 'FuzzViolation';
}

const OPEN_CODES: ReadonlySet<ErrorCode> = new Set([ErrorCodes.CORRUPT, ErrorCodes.UNSUPPORTED_FORMAT]);

interface CaseContext {
  readonly base: BaseLog;
  readonly io: SimFileIO;
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
  // A damaged earlier (no longer active) segment may be caught at open (when open reads it: no
  // trailer to trust, or its header is one open reads) or on read.
  const mayRefuse = expect.mustRefuse !== null || expect.readMustFail || expect.mayRefuse;
  if (!mayRefuse) ctx.fail(`openLog refused a log it must open: ${coded.message}`, coded);
  if (coded.code === ErrorCodes.UNSUPPORTED_FORMAT && !expect.headerDamaged) ctx.fail(`SEGLOG_UNSUPPORTED_FORMAT with no header damaged: ${coded.message}`);
  if (expect.corruptAt !== null) {
    const file = posix.join(FUZZ_DIR, expect.corruptAt.name);
    const atExpected = coded.file === file && coded.positionBytes === expect.corruptAt.positionBytes;
    if (coded.code !== ErrorCodes.CORRUPT || !atExpected) {
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

/**
 * Reads the whole log back; returns whether the read failed. readLog fails where the chain of
 * batches breaks before the log's end (a closed segment ending early leaves a gap before the next
 * one): exactly the damage open may miss, which a full read must then refuse.
 */
async function readAll(ctx: CaseContext, log: Log): Promise<boolean> {
  let payloads: Uint8Array[];
  try {
    payloads = (await readLog(ctx.io, FUZZ_DIR, { firstOffset: log.firstOffset })).payloads;
  } catch (error) {
    if (!ctx.expect.readMustFail) ctx.fail(`read failed with nothing damaged below ${log.nextOffset} that open could miss: ${(error as Error).message}`, error);
    return true;
  }
  for (const [i, payload] of payloads.entries()) {
    const mismatch = payloadMismatch(log.firstOffset + i, ctx.base.salt, FUZZ_PROFILE, payload);
    if (mismatch !== null) ctx.fail(`read returned a wrong payload: ${mismatch}`);
  }
  const end = log.firstOffset + payloads.length;
  if (end !== log.nextOffset) ctx.fail(`read ended quietly at ${end}, the log ends at ${log.nextOffset}`);
  if (ctx.expect.readMustFail) ctx.fail('an earlier (closed) segment is damaged, yet the whole log read back without failing');
  return false;
}

/** After a successful open the log must take appends at nextOffset, keep them across a reopen, and read them back. */
async function appendAndReopen(ctx: CaseContext, log: Log, readFailed: boolean): Promise<void> {
  const start = log.nextOffset;
  const count = ctx.prng.int(1, 20);
  const offsets = await Promise.all(
    Array.from({ length: count }, (_, i) => log.append(payloadAt(start + i, ctx.base.salt, FUZZ_PROFILE))),
  );
  offsets.forEach((offset, i) => offset !== start + i && ctx.fail(`append after recovery got offset ${offset}, expected ${start + i}`));
  await log.close();
  const again = await openLog({ dir: FUZZ_DIR, io: ctx.io, ...ctx.base.options });
  try {
    if (again.nextOffset !== start + count) ctx.fail(`after appending ${count} at ${start} and reopening, nextOffset is ${again.nextOffset}`);
    // A log whose full read fails (damage below) cannot be read to its new end; its offsets were checked above.
    if (readFailed) return;
    const { payloads } = await readLog(ctx.io, FUZZ_DIR, { firstOffset: log.firstOffset });
    for (let offset = start; offset < start + count; offset++) {
      const payload = payloads[offset - log.firstOffset] ?? new Uint8Array(0);
      const mismatch = payloadMismatch(offset, ctx.base.salt, FUZZ_PROFILE, payload);
      if (mismatch !== null) ctx.fail(`appended record read back wrong at ${offset}: ${mismatch}`);
    }
  } finally {
    await again.close();
  }
}

async function runOpened(ctx: CaseContext, log: Log): Promise<CaseOutcome> {
  checkOpened(ctx, log);
  const failed = await readAll(ctx, log);
  if (ctx.prng.bool(0.25)) await appendAndReopen(ctx, log, failed);
  return failed ? 'read-failed' : 'opened';
}

/** Runs the case `seed` against `base`; resolves with what happened or rejects with a FuzzViolation. */
export async function runFuzzCase(base: BaseLog, seed: number): Promise<CaseOutcome> {
  const prng = new Prng(seed);
  const files = copyFiles(base.files);
  const damages = damageLog(files, base, prng);
  const expect = expectationFor(base, files);
  const io = await simWithFiles(FUZZ_DIR, files);
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
