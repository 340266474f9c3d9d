/**
 * One job: `seglog stat <dir>`: the summary an operator looks at first. It reads like `verify
 * --quick` (headers, indexes, the tail of each segment), takes no lock, and adds the writer lock's
 * holder, HEAD, free disk, and the first and last append times (append-times.ts: from verified v2
 * batch headers; unknown, null in JSON, for v1 batches, never guessed from file times).
 */
import { FORMAT_VERSION } from '@seglog/format';
import type { HeadState } from '@seglog/format';
import { freeDiskBytes } from '@seglog/io';
import { statusOf } from '../exit-codes.js';
import { appendTimesOf, isoOrDash } from '../append-times.js';
import { readLogDir } from '../log-dir.js';
import { checkLog } from '../log-check.js';
import { shipperLagLines, shipperLagOf } from '../shipper-lag.js';
import type { Context } from '../context.js';

function headSummary(head: HeadState | null): { seq: number; writtenAt: string; truncateEpoch: number } | null {
  if (head === null) return null;
  return { seq: head.seq, writtenAt: new Date(head.writtenAtMs).toISOString(), truncateEpoch: head.truncateEpoch };
}

export async function stat(ctx: Context, dir: string): Promise<number> {
  const logDir = await readLogDir(dir);
  const check = await checkLog(logDir, { quick: true, maxErrors: 100, signal: ctx.signal });
  const header = check.segments.find((segment) => segment.header !== null)?.header ?? null;
  const withRecords = check.segments.filter((segment) => segment.records > 0);
  const first = withRecords[0];
  const last = withRecords[withRecords.length - 1];
  const appendTimeMs = {
    first: first === undefined ? null : (await appendTimesOf(first)).firstAppendTimeMs,
    last: last === undefined ? null : (await appendTimesOf(last)).lastAppendTimeMs,
  };
  const shipperLag = await shipperLagOf(dir);
  const report = {
    tool: 'seglog stat',
    dir,
    formatVersion: header?.version ?? null,
    supportedFormatVersion: FORMAT_VERSION,
    logId: header?.logId ?? logDir.head?.logId ?? null,
    blockBytes: header?.blockBytes ?? null,
    segments: logDir.segments.length,
    bytes: logDir.segments.reduce((sum, segment) => sum + segment.sizeBytes, 0),
    offsets: { first: check.firstOffset, durable: check.durableOffset, next: check.nextOffset },
    appendTimeMs,
    head: headSummary(logDir.head),
    lock: logDir.lock,
    freeDiskBytes: await freeDiskBytes(dir),
    // One entry per JetStream shipper hold (shipper-lag.ts); null when they could not be read.
    shippers: shipperLag.lags,
    status: statusOf(check.exitCode),
    exitCode: check.exitCode,
    problems: check.problems,
  };
  if (ctx.out.format !== 'text') {
    await ctx.out.document(report);
    return check.exitCode;
  }
  const lock = report.lock.held ? `held by ${report.lock.holder} (${report.lock.alive ? 'alive' : 'stale: the next opener takes it over'})` : 'free';
  const lines = [
    `directory      ${dir}`,
    `format         v${report.formatVersion ?? '?'} (this tool reads v${FORMAT_VERSION}), block ${report.blockBytes ?? '?'} bytes`,
    `segments       ${report.segments} (${report.bytes} bytes on disk)`,
    `offsets        first ${report.offsets.first}, durable ${report.offsets.durable ?? 'unknown (no HEAD)'}, next ${report.offsets.next}`,
    `append times   ${appendTimesText(appendTimeMs.first, appendTimeMs.last)}`,
    `HEAD           ${report.head === null ? 'none' : `seq ${report.head.seq}, written ${report.head.writtenAt}`}`,
    `writer lock    ${lock}`,
    `free disk      ${report.freeDiskBytes} bytes`,
    ...shipperLagLines(shipperLag),
    `status         ${report.status}`,
  ];
  for (const line of lines) await ctx.out.line(line);
  for (const found of check.problems) await ctx.out.line(`${found.severity === 'warning' ? 'warning' : 'error'} ${found.code}: ${found.message}`);
  return check.exitCode;
}

function appendTimesText(first: number | null, last: number | null): string {
  if (first === null && last === null) return 'unknown (format v1 batches carry none)';
  return `first ${isoOrDash(first)}, last ${isoOrDash(last)}`;
}
