/**
 * One job: `seglog repair <dir>`. A dry run by default: it checks the whole log (as `verify` does)
 * and prints its plan, changing no byte. `--apply` repairs a torn tail of the last segment only
 * (0 acknowledged records lost, the cut bytes were never acknowledged): it takes the writer lock,
 * checks again under it, writes and fsyncs a backup of the bytes it will cut (and the backup's
 * directory), then overwrites them with zeros, which is what preallocated space holds, and fsyncs
 * the segment. Mid-log damage, a gap or lost acknowledged records are refused: `--salvage
 * <newdir>` copies every valid record into a new log instead, never in place (SQLite's .recover).
 */
import path from 'node:path';
import { acquireDirLock } from '@seglog/io';
import { openLog } from '@seglog/store';
import { CliError } from '../cli-error.js';
import type { Context } from '../context.js';
import { crashPoint, io, syncDirectory, writeFileDurably } from '../durable-files.js';
import { readFully } from '@seglog/format';
import { Exit, statusOf } from '../exit-codes.js';
import { checkLog, exitBitsOf } from '../log-check.js';
import type { LogCheck } from '../log-check.js';
import { readLogDir } from '../log-dir.js';
import type { LogDir } from '../log-dir.js';
import { openSegment, walkSegment } from '../segment-walk.js';

export interface RepairFlags {
  readonly apply: boolean;
  readonly backupDir?: string | undefined;
  readonly salvage?: string | undefined;
}

interface Cut {
  readonly segment: string;
  readonly path: string;
  readonly fromByte: number;
  readonly bytes: number;
  readonly atOffset: number;
}

interface Plan {
  readonly action: 'none' | 'cut-torn-tail' | 'refuse' | 'salvage';
  readonly cut: Cut | null;
  readonly recordsLost: number;
  readonly reasons: string[];
}

/** Bytes zeroed per write when cutting: a crash between two writes leaves a shorter torn tail. */
const ZERO_CHUNK_BYTES = 64 * 1024;

export async function repair(ctx: Context, dir: string, flags: RepairFlags): Promise<number> {
  if (flags.salvage !== undefined && flags.apply) throw CliError.usage('--salvage and --apply exclude each other: salvage never changes the damaged log');
  const logDir = await readLogDir(dir);
  const check = await checkLog(logDir, { quick: false, maxErrors: 1000, signal: ctx.signal });
  const plan = planFor(check, flags.salvage !== undefined);
  await printPlan(ctx, dir, plan, check, flags);
  if (plan.action === 'salvage') return salvage(ctx, logDir, check, flags.salvage!);
  if (plan.action === 'refuse' || plan.action === 'none' || !flags.apply) {
    if (ctx.out.format !== 'text') {
      await ctx.out.document({ tool: 'seglog repair', dir, applied: false, plan, problems: check.problems, status: statusOf(check.exitCode), exitCode: check.exitCode });
    }
    return check.exitCode;
  }
  return applyCut(ctx, dir, flags);
}

function planFor(check: LogCheck, salvaging: boolean): Plan {
  const dataProblems = check.problems.filter((found) => found.severity !== 'warning');
  const reasons = check.problems.map((found) => found.message);
  if (salvaging) return { action: 'salvage', cut: null, recordsLost: 0, reasons };
  if (dataProblems.length > 0) return { action: 'refuse', cut: null, recordsLost: 0, reasons };
  const last = check.segments[check.segments.length - 1];
  if (last === undefined || last.tornTail === null) return { action: 'none', cut: null, recordsLost: 0, reasons };
  const cut = {
    segment: last.segment.name,
    path: last.segment.path,
    fromByte: last.tornTail.okUpTo,
    bytes: last.tornTail.bytes,
    atOffset: last.endOffset,
  };
  return { action: 'cut-torn-tail', cut, recordsLost: 0, reasons };
}

async function printPlan(ctx: Context, dir: string, plan: Plan, check: LogCheck, flags: RepairFlags): Promise<void> {
  if (ctx.out.format !== 'text') return;
  const out = ctx.out;
  if (plan.action === 'none') await out.line(`nothing to repair in ${dir}${check.problems.length > 0 ? ` (${check.problems.length} warnings: run seglog verify ${dir})` : ''}`);
  if (plan.action === 'refuse') {
    await out.line(`refused: ${dir} has damage that a cut would lose acknowledged records over:`);
    for (const reason of plan.reasons) await out.line(`  ${reason}`);
    await out.line(`copy every valid record into a new log instead: seglog repair ${dir} --salvage <newdir>`);
  }
  if (plan.cut !== null) {
    const { cut } = plan;
    await out.line(`plan: cut the torn tail of ${cut.segment}: ${cut.bytes} bytes from byte ${cut.fromByte} (after offset ${cut.atOffset - 1}); records lost: 0 (never acknowledged)`);
    await out.line(flags.apply ? 'applying: backup first, then the cut' : `dry run: nothing was changed; run with --apply to do it`);
  }
}

/** Lock, check again, back up, cut. Exit 1 (changed), plus whatever warnings remain. */
async function applyCut(ctx: Context, dir: string, flags: RepairFlags): Promise<number> {
  let lock;
  try {
    lock = await acquireDirLock(dir);
  } catch (error) {
    ctx.out.note(`repair needs the writer lock of ${dir}; it is held, so nothing was changed. Stop the writer first.`);
    throw error;
  }
  try {
    // Under the lock no writer can move the tail: the plan is made again from what is there now.
    const check = await checkLog(await readLogDir(dir), { quick: false, maxErrors: 1000, signal: ctx.signal });
    const plan = planFor(check, false);
    if (plan.action !== 'cut-torn-tail' || plan.cut === null) {
      ctx.out.note('the log changed before the lock was taken; nothing was cut. Run repair again.');
      return check.exitCode;
    }
    const backupDir = flags.backupDir ?? path.join(dir, '.seglog-repair', new Date().toISOString().replace(/[:.]/g, '-'));
    const backupFile = await backUp(plan.cut, backupDir);
    ctx.signal.throwIfAborted();
    await zeroRange(plan.cut);
    const remaining = exitBitsOf(check.problems.filter((found) => found.kind !== 'torn-tail'));
    const report = { tool: 'seglog repair', dir, applied: true, cut: plan.cut, recordsLost: 0, backup: backupFile, exitCode: Exit.changed | remaining };
    if (ctx.out.format === 'text') await ctx.out.line(`done: cut ${plan.cut.bytes} bytes of ${plan.cut.segment}; backup in ${backupFile}`);
    else await ctx.out.document({ ...report, status: statusOf(report.exitCode) });
    return report.exitCode;
  } finally {
    await lock.release();
  }
}

/** Copies the bytes to cut into `backupDir`, with a manifest saying where they go back. */
async function backUp(cut: Cut, backupDir: string): Promise<string> {
  await io.mkdirp(backupDir, 0o700);
  const bytes = new Uint8Array(cut.bytes);
  const handle = await io.open(cut.path, 'read');
  try {
    await readFully(handle, bytes, cut.fromByte);
  } finally {
    await handle.close();
  }
  const dataFile = path.join(backupDir, `${cut.segment}.at-${cut.fromByte}.bin`);
  await writeFileDurably(dataFile, bytes);
  crashPoint('backup-data');
  const manifest = { version: 1, tool: 'seglog repair', segment: cut.segment, positionBytes: cut.fromByte, bytes: cut.bytes, file: path.basename(dataFile), restore: `dd if=${path.basename(dataFile)} of=<dir>/${cut.segment} bs=1 seek=${cut.fromByte} conv=notrunc` };
  await writeFileDurably(path.join(backupDir, 'manifest.json'), new TextEncoder().encode(JSON.stringify(manifest, null, 2)));
  // The backup must exist after a power cut before a single byte of the log changes.
  await syncDirectory(backupDir);
  await syncDirectory(path.dirname(backupDir));
  await syncDirectory(path.dirname(path.dirname(backupDir)));
  crashPoint('backup-synced');
  return dataFile;
}

async function zeroRange(cut: Cut): Promise<void> {
  const handle = await io.open(cut.path, 'write');
  try {
    const zeros = new Uint8Array(Math.min(ZERO_CHUNK_BYTES, cut.bytes));
    for (let done = 0; done < cut.bytes; done += zeros.length) {
      const length = Math.min(zeros.length, cut.bytes - done);
      await handle.writev([zeros.subarray(0, length)], cut.fromByte + done);
      crashPoint('cut-partial');
    }
    await handle.datasync();
    crashPoint('cut-synced');
  } finally {
    await handle.close();
  }
}

/** Copies every valid record, in order, into a new log in `newDir`; prints the offset mapping. */
async function salvage(ctx: Context, logDir: LogDir, check: LogCheck, newDir: string): Promise<number> {
  const existing = (await io.stat(newDir)) === null ? [] : await io.readdir(newDir);
  if (existing.length > 0) throw CliError.usage(`--salvage needs a new or empty directory; ${newDir} is not empty`);
  await io.mkdirp(newDir, 0o700);
  const log = await openLog({ dir: newDir });
  const runs: { sourceFrom: number; sourceTo: number; newFrom: number }[] = [];
  const skipped: string[] = [];
  try {
    for (const segment of logDir.segments) {
      let open;
      try {
        open = await openSegment(segment);
      } catch (error) {
        skipped.push(`${segment.name}: ${(error as Error).message}`);
        continue;
      }
      try {
        for await (const item of walkSegment(open, ctx.signal)) {
          if (item.kind !== 'batch') continue;
          const newFrom = await log.appendMany(item.payloads);
          const { firstOffset, recordCount } = item.header;
          const run = runs[runs.length - 1];
          // One run while both the old and the new offsets stay consecutive.
          const nextNew = run === undefined ? -1 : run.newFrom + run.sourceTo - run.sourceFrom;
          const continues = run !== undefined && run.sourceTo === firstOffset && newFrom === nextNew;
          if (continues) run.sourceTo += recordCount;
          else runs.push({ sourceFrom: firstOffset, sourceTo: firstOffset + recordCount, newFrom });
        }
      } finally {
        await open.handle.close().catch(() => undefined);
      }
    }
  } finally {
    await log.close();
  }
  const copied = runs.reduce((sum, run) => sum + run.sourceTo - run.sourceFrom, 0);
  const exitCode = Exit.changed | check.exitCode;
  if (ctx.out.format !== 'text') {
    await ctx.out.document({ tool: 'seglog repair', dir: logDir.dir, salvage: newDir, recordsCopied: copied, runs, skippedSegments: skipped, problems: check.problems, status: statusOf(exitCode), exitCode });
    return exitCode;
  }
  await ctx.out.line(`salvaged ${copied} records into ${newDir}; ${logDir.dir} was not changed`);
  for (const run of runs) await ctx.out.line(`  offsets ${run.sourceFrom}..${run.sourceTo - 1} -> ${run.newFrom}..${run.newFrom + run.sourceTo - run.sourceFrom - 1}`);
  for (const line of skipped) await ctx.out.line(`  skipped ${line}`);
  return exitCode;
}
