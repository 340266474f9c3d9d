/**
 * One job: `seglog segments <dir>`: one row per segment: base, last offset, records, bytes on
 * disk and in use, sealed or not, first and last append time (v2 batches), index state.
 * Quick-reads like `stat` and takes no lock.
 */
import { appendTimesOf, isoOrDash } from '../append-times.js';
import type { AppendTimes } from '../append-times.js';
import { readLogDir } from '../log-dir.js';
import { checkLog } from '../log-check.js';
import type { Context } from '../context.js';
import { table } from '../output.js';

export async function segments(ctx: Context, dir: string): Promise<number> {
  const logDir = await readLogDir(dir);
  const check = await checkLog(logDir, { quick: true, maxErrors: 100, signal: ctx.signal });
  const times: AppendTimes[] = [];
  for (const segment of check.segments) times.push(await appendTimesOf(segment));
  const rows = check.segments.map((segment, i) => ({
    file: segment.segment.name,
    baseOffset: segment.segment.baseOffset,
    lastOffset: segment.records > 0 ? segment.endOffset - 1 : null,
    records: segment.records,
    bytes: segment.segment.sizeBytes,
    usedBytes: segment.endPositionBytes,
    sealed: i < check.segments.length - 1,
    firstAppendTimeMs: times[i]!.firstAppendTimeMs,
    lastAppendTimeMs: times[i]!.lastAppendTimeMs,
    index: segment.index.state,
    indexEntries: segment.index.entries,
    ok: segment.problems.length === 0,
  }));
  if (ctx.out.format === 'json') await ctx.out.document({ tool: 'seglog segments', dir, segments: rows, problems: check.problems, exitCode: check.exitCode });
  else if (ctx.out.format === 'ndjson') for (const row of rows) await ctx.out.object(row);
  else {
    const cells = rows.map((row) => [
      row.file,
      String(row.baseOffset),
      row.lastOffset === null ? '-' : String(row.lastOffset),
      String(row.records),
      String(row.bytes),
      String(row.usedBytes),
      row.sealed ? 'sealed' : 'active',
      isoOrDash(row.firstAppendTimeMs),
      isoOrDash(row.lastAppendTimeMs),
      row.index,
      row.ok ? 'ok' : 'PROBLEM',
    ]);
    const header = ['file', 'base', 'last', 'records', 'bytes', 'used', 'state', 'first append', 'last append', 'index', 'check'];
    for (const line of table(header, cells)) await ctx.out.line(line);
    for (const found of check.problems) ctx.out.warn(`${found.code}: ${found.message}`);
  }
  return check.exitCode;
}
