/**
 * One job: `seglog tail <dir> [-f]`: the last records of a log, and with `--follow` every record
 * as it becomes durable, until SIGINT (a normal end: exit 0) or stdout's reader goes away.
 *
 * It is the reader's follow API (`reader.read({ from, follow, signal })`) and nothing more: no
 * lock, only acknowledged records (HEAD's `durableOffset`, written by the writer after each flush),
 * in any process beside a live writer, across segment rolls. Records dropped by retention while
 * the tail was behind are skipped with a warning on stderr, as `tail -F` goes on after a rotation.
 */
import { openReader } from '@seglog/reader';
import { CliError } from '../cli-error.js';
import type { Context } from '../context.js';
import { Exit } from '../exit-codes.js';
import { readLogDir } from '../log-dir.js';
import { recordObject, recordText } from '../record-output.js';
import type { PayloadFormat } from '../record-output.js';

export interface TailFlags {
  readonly follow: boolean;
  readonly from: number | undefined;
  /** Start with the last this many records (the command line defaults it to 10 without --from). */
  readonly last: number | undefined;
  readonly payload: PayloadFormat;
}

export async function tail(ctx: Context, dir: string, flags: TailFlags): Promise<number> {
  if (flags.from !== undefined && flags.last !== undefined) throw CliError.usage('--from and --last exclude each other');
  await readLogDir(dir); // SEGLOG_NOT_A_LOG before the reader says something less clear
  const reader = await openReader({ dir });
  try {
    const end = await reader.endOffset();
    const first = await reader.firstOffset();
    const from = flags.from ?? Math.max(first, end - (flags.last ?? 0));
    const records = reader.read({
      from,
      follow: flags.follow,
      signal: ctx.signal,
      onBehind: 'skip',
      onGap: (gap) => ctx.out.warn(`offsets ${gap.fromOffset}..${gap.toOffset - 1} were dropped (retention or truncate --before) before they were read`),
    });
    for await (const record of records) {
      if (ctx.out.format === 'text') await ctx.out.line(recordText(record.offset, record.payload, flags.payload));
      else await ctx.out.object(recordObject(record.offset, record.payload, flags.payload, record.appendTimeMs));
      if (ctx.out.closed) break;
    }
  } catch (error) {
    // SIGINT is how a follow ends: the records so far were printed, and that is success.
    if (!ctx.signal.aborted) throw error;
  } finally {
    await reader.close();
  }
  return Exit.clean;
}
