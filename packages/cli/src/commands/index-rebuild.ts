/**
 * One job: `seglog index rebuild <dir>`: each segment's sparse index made again from its batches
 * (the chain from block 1, `scanChain` of @seglog/format, which makes the entries the writer
 * would), written to a temp file, fsynced and renamed over the old one. Takes the writer lock.
 * Exit 1 when an index changed, 0 when every one already matched; damage stops a segment's index
 * at the damage and adds 4.
 */
import { encodeIndexEntries, equalBytes, scanChain } from '@seglog/format';
import { acquireDirLock } from '@seglog/io';
import { limits } from '@seglog/types';
import type { Context } from '../context.js';
import { replaceFileDurably } from '../durable-files.js';
import { Exit, statusOf } from '../exit-codes.js';
import { checkLog } from '../log-check.js';
import { readLogDir } from '../log-dir.js';
import { readIndexBytes } from '../segment-check.js';
import { openSegment } from '../segment-walk.js';

export interface RebuildFlags {
  readonly intervalBytes: number | undefined;
}

export async function rebuildIndex(ctx: Context, dir: string, flags: RebuildFlags): Promise<number> {
  const intervalBytes = flags.intervalBytes ?? limits.indexIntervalBytesDefault;
  await readLogDir(dir);
  let lock;
  try {
    lock = await acquireDirLock(dir);
  } catch (error) {
    ctx.out.note(`index rebuild needs the writer lock of ${dir}; it is held, so nothing was changed.`);
    throw error;
  }
  try {
    const logDir = await readLogDir(dir);
    const check = await checkLog(logDir, { quick: true, maxErrors: 1000, signal: ctx.signal });
    let exitCode = check.exitCode & Exit.dataProblem;
    const results: { segment: string; entries: number; changed: boolean }[] = [];
    for (const segment of logDir.segments) {
      ctx.signal.throwIfAborted();
      let open;
      try {
        open = await openSegment(segment);
      } catch {
        continue; // a bad header is a data problem checkLog already reported
      }
      try {
        const positionBytes = open.header.blockBytes;
        const start = { positionBytes, offset: segment.baseOffset, indexIntervalBytes: intervalBytes };
        const scan = await scanChain(open.file, start);
        const bytes = encodeIndexEntries(scan.entries);
        const old = await readIndexBytes(segment);
        const changed = old === null || !equalBytes(old, bytes);
        if (changed) {
          await replaceFileDurably(segment.indexPath, bytes);
          exitCode |= Exit.changed;
        }
        results.push({ segment: segment.name, entries: scan.entries.length, changed });
      } finally {
        await open.handle.close().catch(() => undefined);
      }
    }
    if (ctx.out.format !== 'text') await ctx.out.document({ tool: 'seglog index rebuild', dir, intervalBytes, indexes: results, status: statusOf(exitCode), exitCode });
    else for (const result of results) await ctx.out.line(`${result.segment}: ${result.entries} entries, ${result.changed ? 'rewritten' : 'already correct'}`);
    return exitCode;
  } finally {
    await lock.release();
  }
}
