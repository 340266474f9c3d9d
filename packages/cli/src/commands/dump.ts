/**
 * One job: `seglog dump <dir | file.seg>`: records in a range, or with `--raw` the framing view.
 *
 * A directory is read through `@seglog/reader`, bounded by HEAD's `durableOffset` (only what was
 * acknowledged), without a lock. One segment file is walked alone (segment-walk.ts), so it works
 * when the directory around it is damaged; it shows every valid record in the file, acknowledged
 * or not, skipping damage and saying where. `--raw` prints one line per batch and per break.
 */
import path from 'node:path';
import { parseSegmentFileName } from '@seglog/format';
import { openReader } from '@seglog/reader';
import type { Reader } from '@seglog/reader';
import { CliError } from '../cli-error.js';
import type { Context } from '../context.js';
import { Exit } from '../exit-codes.js';
import { readLogDir } from '../log-dir.js';
import type { SegmentFile } from '../log-dir.js';
import { openSegment, walkSegment } from '../segment-walk.js';
import type { WalkItem } from '../segment-walk.js';
import { io } from '../durable-files.js';
import { recordObject, recordText } from '../record-output.js';
import type { PayloadFormat } from '../record-output.js';


export interface DumpFlags {
  readonly from: number | undefined;
  readonly to: number | undefined;
  readonly count: number | undefined;
  readonly last: number | undefined;
  /** Wall-clock ms: records appended at or after it (by their batch's v2 append time). */
  readonly since?: number | undefined;
  /** Wall-clock ms: records appended before it. */
  readonly until?: number | undefined;
  readonly payload: PayloadFormat;
  readonly raw: boolean;
}

interface Range {
  readonly from: number;
  readonly to: number;
}

export async function dump(ctx: Context, target: string, flags: DumpFlags): Promise<number> {
  if (flags.last !== undefined && (flags.from !== undefined || flags.count !== undefined)) throw CliError.usage('--last excludes --from and --count');
  if (flags.count !== undefined && flags.to !== undefined) throw CliError.usage('--count excludes --to');
  if (flags.since !== undefined && (flags.from !== undefined || flags.last !== undefined)) {
    throw CliError.usage('--since excludes --from and --last');
  }
  if (flags.until !== undefined && flags.to !== undefined) throw CliError.usage('--until excludes --to');
  const targetStat = await io.stat(target);
  if (targetStat === null) throw CliError.notALog(target, 'it does not exist');
  const printer = new RecordPrinter(ctx, flags.payload);
  let exitCode: number;
  if (targetStat.isFile) {
    exitCode = await dumpSegmentFiles(ctx, [segmentFileOf(target, targetStat.sizeBytes)], flags, printer);
  }
  else if (flags.raw) exitCode = await dumpSegmentFiles(ctx, (await readLogDir(target)).segments, flags, printer);
  else exitCode = await dumpDirectory(ctx, target, flags, printer);
  await printer.finish();
  return exitCode;
}

function segmentFileOf(file: string, sizeBytes: number): SegmentFile {
  const name = path.basename(file);
  const baseOffset = parseSegmentFileName(name);
  if (baseOffset === null) throw CliError.notALog(file, 'a segment file is named <20-digit base offset>.seg');
  return { baseOffset, name, path: file, indexPath: file.replace(/\.seg$/, '.idx'), sizeBytes };
}

/** The range the flags ask for, within [first, end). */
function rangeOf(flags: DumpFlags, first: number, end: number): Range {
  if (flags.last !== undefined) {
    return { from: Math.max(first, end - flags.last), to: flags.to === undefined ? end : Math.min(end, flags.to) };
  }
  const from = Math.max(first, flags.from ?? first);
  const to = flags.count !== undefined ? Math.min(end, from + flags.count) : Math.min(end, flags.to ?? end);
  return { from, to: Math.max(from, to) };
}

async function dumpDirectory(ctx: Context, dir: string, flags: DumpFlags, printer: RecordPrinter): Promise<number> {
  await readLogDir(dir); // SEGLOG_NOT_A_LOG before the reader says something less clear
  // The reader takes the durable end and the low-water mark from HEAD itself.
  const reader = await openReader({ dir });
  try {
    const range = rangeOf(await byTime(reader, flags), await reader.firstOffset(), await reader.endOffset());
    if (range.from >= range.to) return Exit.clean;
    for await (const record of reader.read(range)) {
      if (ctx.out.closed || ctx.signal.aborted) break;
      await printer.record(record.offset, record.payload, record.appendTimeMs);
    }
  } finally {
    await reader.close();
  }
  return Exit.clean;
}

/**
 * `--since`/`--until` as offsets, with the reader's binary search over append times (the same
 * answer as `seglog offsets --time`): since = the first offset appended at or after it, until =
 * the first offset appended at or after it, taken as the exclusive end. No record that new: the end.
 * v1 records carry no time and count as older than any time, as in offsetForTime.
 */
async function byTime(reader: Reader, flags: DumpFlags): Promise<DumpFlags> {
  if (flags.since === undefined && flags.until === undefined) return flags;
  const end = await reader.endOffset();
  const at = async (ms: number): Promise<number> => (await reader.offsetForTime(ms)) ?? end;
  return {
    ...flags,
    from: flags.since === undefined ? flags.from : await at(flags.since),
    to: flags.until === undefined ? flags.to : await at(flags.until),
  };
}

/** Whether a batch appended at `appendTimeMs` (undefined: format v1, older than any time) is in the time range. */
function inTimeRange(flags: DumpFlags, appendTimeMs: number | undefined): boolean {
  if (flags.since !== undefined && (appendTimeMs === undefined || appendTimeMs < flags.since)) return false;
  return flags.until === undefined || appendTimeMs === undefined || appendTimeMs < flags.until;
}

async function dumpSegmentFiles(
  ctx: Context,
  files: readonly SegmentFile[],
  flags: DumpFlags,
  printer: RecordPrinter,
): Promise<number> {
  let exitCode = Exit.clean as number;
  const lastMode = flags.last !== undefined;
  // --last over files needs the end first: one pass counts, the second prints.
  const end = lastMode ? await validEnd(ctx, files) : Number.MAX_SAFE_INTEGER;
  const range = rangeOf(flags, 0, end);
  for (const segment of files) {
    const open = await openSegment(segment);
    try {
      for await (const item of walkSegment(open, ctx.signal)) {
        if (ctx.out.closed) return exitCode;
        if (item.kind === 'break') {
          exitCode |= item.resumesAt === null ? Exit.warnings : Exit.dataProblem;
          await printer.break(segment.name, item);
          continue;
        }
        const first = item.header.firstOffset;
        if (first + item.header.recordCount <= range.from || first >= range.to) continue;
        if (!inTimeRange(flags, item.header.appendTimeMs)) continue;
        if (flags.raw) {
          await printer.batch(segment.name, item);
          continue;
        }
        for (const [i, payload] of item.payloads.entries()) {
          const offset = first + i;
          if (offset < range.from || offset >= range.to) continue;
          await printer.record(offset, payload, item.header.appendTimeMs);
        }
      }
    } finally {
      await open.handle.close().catch(() => undefined);
    }
  }
  return exitCode;
}

async function validEnd(ctx: Context, files: readonly SegmentFile[]): Promise<number> {
  let end = 0;
  for (const segment of files) {
    const open = await openSegment(segment);
    try {
      for await (const item of walkSegment(open, ctx.signal)) if (item.kind === 'batch') end = item.header.firstOffset + item.header.recordCount;
    } finally {
      await open.handle.close().catch(() => undefined);
    }
  }
  return end;
}

/** Prints records, batches and breaks in the chosen format; JSON collects into one document. */
class RecordPrinter {
  readonly #ctx: Context;
  readonly #payload: PayloadFormat;
  readonly #collected: Record<string, unknown>[] = [];

  constructor(ctx: Context, payload: PayloadFormat) {
    this.#ctx = ctx;
    this.#payload = payload;
  }

  async record(offset: number, payload: Uint8Array, appendTimeMs: number | undefined): Promise<void> {
    if (this.#ctx.out.format === 'text') await this.#ctx.out.line(recordText(offset, payload, this.#payload));
    else await this.#emit(recordObject(offset, payload, this.#payload, appendTimeMs));
  }

  async batch(segment: string, item: WalkItem & { kind: 'batch' }): Promise<void> {
    const { positionBytes, spanBytes } = item;
    const { version, firstOffset, recordCount: records, bodyBytes, crc, chunkCount: chunks } = item.header;
    // v2 headers also say what was acknowledged when the batch was sealed, and when (null for v1).
    const ackedOffset = item.header.ackedOffset ?? null;
    const appendTimeMs = item.header.appendTimeMs ?? null;
    const stored = hex(crc);
    const row = {
      type: 'batch', segment, positionBytes, version, firstOffset, records, bodyBytes, spanBytes, chunks, ackedOffset, appendTimeMs,
      storedCrc: stored, computedCrc: stored, crcOk: true,
    };
    if (this.#ctx.out.format === 'text') {
      const v2 = appendTimeMs === null ? '' : `  acked ${ackedOffset} time ${new Date(appendTimeMs).toISOString()} chunks ${chunks}`;
      const offsets = `offsets ${firstOffset}..${firstOffset + records - 1}`;
      await this.#ctx.out.line(`batch v${version} ${segment} @${positionBytes}  ${offsets}  body ${bodyBytes} span ${spanBytes}${v2}  crc ${stored} ok`);
      return;
    }
    await this.#emit(row);
  }

  async break(segment: string, item: WalkItem & { kind: 'break' }): Promise<void> {
    const { positionBytes, offset, resumesAt, tornBytes } = item;
    const { reason, computedCrc: computed } = item.step;
    const stored = item.step.header?.crc ?? null;
    const row = { type: 'break', segment, positionBytes, offset, reason, storedCrc: stored === null ? null : hex(stored), computedCrc: computed === null ? null : hex(computed), resumesAt, tornBytes };
    const after = resumesAt === null ? `end of valid data (${tornBytes} torn bytes)` : `valid data resumes at byte ${resumesAt}`;
    this.#ctx.out.warn(`${segment} @${positionBytes}: offset ${offset}: ${reason}${stored === null ? '' : ` (stored crc ${row.storedCrc}, computed ${row.computedCrc ?? 'n/a'})`}; ${after}`);
    if (this.#ctx.out.format !== 'text') await this.#emit(row);
  }

  async #emit(row: Record<string, unknown>): Promise<void> {
    if (this.#ctx.out.format === 'ndjson') await this.#ctx.out.object(row);
    else if (this.#ctx.out.format === 'json') this.#collected.push(row);
  }

  async finish(): Promise<void> {
    if (this.#ctx.out.format === 'json') await this.#ctx.out.document({ tool: 'seglog dump', payload: this.#payload, items: this.#collected });
  }
}

function hex(crc: number): string {
  return `0x${(crc >>> 0).toString(16).padStart(8, '0')}`;
}
