/**
 * One job: `seglog segments <dir>`: one row per segment: base, last offset, records, bytes on
 * disk and in use, sealed or not, index state. Quick-reads like `stat` and takes no lock.
 */
import { readLogDir } from '../log-dir.js';
import { checkLog } from '../log-check.js';
import type { Context } from '../context.js';
import { table } from '../output.js';

export async function segments(ctx: Context, dir: string): Promise<number> {
  const logDir = await readLogDir(dir);
  const check = await checkLog(logDir, { quick: true, maxErrors: 100, signal: ctx.signal });
  const rows = check.segments.map((segment, i) => ({
    file: segment.segment.name,
    baseOffset: segment.segment.baseOffset,
    lastOffset: segment.records > 0 ? segment.endOffset - 1 : null,
    records: segment.records,
    bytes: segment.segment.sizeBytes,
    usedBytes: segment.endPositionBytes,
    sealed: i < check.segments.length - 1,
    firstAppendTimeMs: null,
    lastAppendTimeMs: null,
    index: segment.index.state,
    indexEntries: segment.index.entries,
    ok: segment.problems.length === 0,
  }));
  if (ctx.out.format === 'json') await ctx.out.document({ tool: 'seglog segments', dir, segments: rows, problems: check.problems, exitCode: check.exitCode });
  else if (ctx.out.format === 'ndjson') for (const row of rows) await ctx.out.object(row);
  else {
    const cells = rows.map((row) => [row.file, String(row.baseOffset), row.lastOffset === null ? '-' : String(row.lastOffset), String(row.records), String(row.bytes), String(row.usedBytes), row.sealed ? 'sealed' : 'active', row.index, row.ok ? 'ok' : 'PROBLEM']);
    for (const line of table(['file', 'base', 'last', 'records', 'bytes', 'used', 'state', 'index', 'check'], cells)) await ctx.out.line(line);
    for (const found of check.problems) ctx.out.warn(`${found.code}: ${found.message}`);
  }
  return check.exitCode;
}
