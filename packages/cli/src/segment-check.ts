/**
 * One job: check one segment file with the library's decoder (`scanChain`, `findBatchBeyond`,
 * `dataEndBytes` of @seglog/format, the same calls recovery makes) and say what is wrong with it,
 * without deciding what that means for the log (log-check.ts does).
 *
 * Full mode follows the chain from block 1, so every batch's CRC-32C is computed; past damage it
 * resumes at the next valid batch to find further damage (the caller cuts the list at
 * `--max-errors`). Quick mode starts
 * from the last index entry that verifies, as recovery does, so only the tail of each segment is
 * read. All reads go through one counting, cancellable byte source: progress and SIGINT need no
 * second loop over the bytes.
 */
import { readLimits, isSeglogError, ErrorCodes } from '@seglog/types';
import {
  batchAt,
  blockHoldsData,
  checkSegmentHeader,
  dataEndBytes,
  decodeIndexEntries,
  findBatchBeyond,
  INDEX_ENTRY_BYTES,
  judgePastChainEnd,
  SEGMENT_HEADER_BYTES,
  readFully,
  readSegmentTrailer,
  scanChain,
} from '@seglog/format';
import type {
  BatchBeyond,
  BatchBreak,
  ByteSource,
  ChainScan,
  ChainFile,
  IndexEntry,
  SegmentExpectation,
  SegmentHeader,
  ScanWindowOptions,
  SegmentTrailer,
} from '@seglog/format';
import { nodeFileIO } from '@seglog/io';
import type { SegmentFile } from './log-dir.js';
import { readWholeFile } from './durable-files.js';

export type Severity = 'warning' | 'data' | 'error';

export interface Problem {
  /** A `SeglogError` code, or a CLI code from the same vocabulary. */
  readonly code: string;
  readonly kind:
    | 'header'
    | 'damage'
    | 'torn-tail'
    | 'stray-bytes'
    | 'gap'
    | 'missing-segment'
    | 'lost-acknowledged'
    | 'index'
    | 'head'
    | 'trailer';
  readonly severity: Severity;
  readonly segment: string | null;
  readonly offset: number | null;
  readonly filePosition: number | null;
  /** The stored CRC, when the break had a whole batch to compute one over. */
  readonly expected: number | null;
  /** The computed CRC. */
  readonly actual: number | null;
  readonly message: string;
}

export interface TornTail {
  readonly okUpTo: number;
  readonly bytes: number;
  /** Complete batches in the torn bytes, issued before the torn one was acknowledged. */
  readonly inFlightBatches: number;
}

export interface CheckOptions {
  readonly quick: boolean;
  readonly isLast: boolean;
  readonly log: SegmentExpectation['log'];
  readonly signal: AbortSignal;
  /** Called with the count of every read, for progress. */
  readonly onBytes: (bytes: number) => void;
}

export interface SegmentCheck {
  readonly segment: SegmentFile;
  readonly header: SegmentHeader | null;
  /** Offset after the last record of the valid prefix (the chain from block 1). */
  readonly endOffset: number;
  /** Byte position where the valid prefix ends. */
  readonly endPositionBytes: number;
  /** Offset after the last valid record of the segment, past any damage: where the next segment must start. */
  readonly chainEndOffset: number;
  readonly batches: number;
  /** Byte position of the last valid batch of the chain (past damage too), or null when none. */
  readonly lastBatchPositionBytes: number | null;
  /** Valid records in the segment, past damage too. */
  readonly records: number;
  /** Where the chain stopped first, and why. */
  readonly stop: BatchBreak | null;
  /** Start of every batch of the prefix in full mode (for index checks and rebuilds); [] in quick mode. */
  readonly batchStarts: IndexEntry[];
  readonly index: { readonly state: 'ok' | 'missing' | 'stale' | 'empty'; readonly entries: number };
  /**
   * Non-zero bytes after the chain's end with no acknowledged batch beyond: a torn tail. It may
   * hold complete batches that were in flight with the torn one (`inFlightBatches`, format's
   * `judgePastChainEnd`), which recovery drops with it.
   */
  readonly tornTail: TornTail | null;
  readonly problems: Problem[];
  /** Bytes of the segment the check read. */
  readonly checkedBytes: number;
}

/** Opens, checks and closes one segment. */
export async function checkSegment(segment: SegmentFile, options: CheckOptions): Promise<SegmentCheck> {
  const handle = await nodeFileIO.open(segment.path, 'read');
  try {
    return await checkOpenSegment(handle, segment, options);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * The full check reads whole segments front to back: it reads through larger windows than the
 * library's default, each read ahead while the one before is checked, so the kernel's copy (in
 * libuv's pool) and the CRC (on the event loop) use two cores. 8 MiB holds two default 4 MiB
 * batches, so the tail copied from one window to the next is small (scan-window.ts). Measured:
 * docs/cli.md "Speed of verify". Quick mode reads a little of each segment: the library's default.
 */
const FULL_SCAN_WINDOW_BYTES = 8 * 1024 * 1024;

function scanWindowFor(quick: boolean): [number, ScanWindowOptions] {
  return quick ? [readLimits.scanWindowBytes, {}] : [FULL_SCAN_WINDOW_BYTES, { readAhead: true }];
}

/** A byte source that counts what it reads and stops at once when the signal fires. */
export function watchedSource(handle: ByteSource, signal: AbortSignal, onBytes: (bytes: number) => void): ByteSource {
  return {
    async read(buffer: Uint8Array, positionBytes: number): Promise<number> {
      signal.throwIfAborted();
      const read = await handle.read(buffer, positionBytes);
      onBytes(read);
      return read;
    },
  };
}


export async function readSegmentHeader(handle: ByteSource, segment: SegmentFile, log: SegmentExpectation['log']): Promise<SegmentHeader> {
  const bytes = new Uint8Array(Math.min(SEGMENT_HEADER_BYTES, segment.sizeBytes));
  const read = await readFully(handle, bytes, 0);
  return checkSegmentHeader(bytes.subarray(0, read), segment.path, { baseOffset: segment.baseOffset, log });
}

async function checkOpenSegment(
  handle: ByteSource,
  segment: SegmentFile,
  options: CheckOptions,
): Promise<SegmentCheck> {
  let checkedBytes = 0;
  const source = watchedSource(handle, options.signal, (bytes) => {
    checkedBytes += bytes;
    options.onBytes(bytes);
  });
  const problems: Problem[] = [];
  let header: SegmentHeader;
  try {
    header = await readSegmentHeader(source, segment, options.log);
  } catch (error) {
    if (!isSeglogError(error)) throw error;
    const severity: Severity = error.code === ErrorCodes.UNSUPPORTED_FORMAT ? 'error' : 'data';
    problems.push(problem(error.code, 'header', severity, segment, null, error.positionBytes ?? 0, null, null, error.message));
    return emptyCheck(segment, problems, checkedBytes);
  }
  const whole: ChainFile = { source, sizeBytes: segment.sizeBytes, logId: header.logId, blockBytes: header.blockBytes };
  const { file, trailer } = await sealedView(whole);
  const fromBlockOne = { firstOffset: segment.baseOffset, blockNumber: 1, stale: false };
  const start = options.quick ? await quickStart(file, segment, header) : fromBlockOne;
  // Interval 1: the scan lists every batch start, which the index check and rebuild compare against.
  const positionBytes = start.blockNumber * header.blockBytes;
  const scanStart = { positionBytes, offset: start.firstOffset, indexIntervalBytes: 1 };
  const scan = await scanChain(file, scanStart, ...scanWindowFor(options.quick));
  const batchStarts = options.quick ? [] : [...scan.entries];
  let tornTail: SegmentCheck['tornTail'] = null;
  let position = scan.endPositionBytes;
  let offset = scan.endOffset;
  let stop: BatchBreak | null = scan.stop.reason === 'end-of-bytes' ? null : scan.stop;
  let currentStop = scan.stop;
  let validRecords = scan.endOffset - segment.baseOffset;
  let lastBatchPositionBytes = scan.lastBatchPositionBytes;
  const damagedBlocks = new Set<number>();
  // The library's rule: valid batches past the stop that were in flight with the lost one are
  // part of a torn tail, as recovery sees them; anything else past it is damage.
  let past = await judgePastChainEnd(file, scan, options.isLast);
  while (past.kind === 'acknowledged') {
    // Resume at the first valid batch past the stop (in flight or not): its records are valid.
    const beyond = await findBatchBeyond(file, position, offset);
    if (beyond === null) break;
    damagedBlocks.add(position / header.blockBytes);
    problems.push(damageProblem(segment, position, offset, currentStop, beyond));
    // Resume the chain at the valid batch beyond the damage, to find what else is wrong.
    const resumeAt = { positionBytes: beyond.positionBytes, offset: beyond.header.firstOffset, indexIntervalBytes: 1 };
    const resumed = await scanChain(file, resumeAt, ...scanWindowFor(options.quick));
    if (!options.quick) batchStarts.push(...resumed.entries);
    position = resumed.endPositionBytes;
    offset = resumed.endOffset;
    validRecords += resumed.endOffset - beyond.header.firstOffset;
    lastBatchPositionBytes = resumed.lastBatchPositionBytes ?? lastBatchPositionBytes;
    currentStop = resumed.stop;
    past = await judgePastChainEnd(file, { endPositionBytes: position, endOffset: offset }, options.isLast);
  }
  const inFlight = past.kind === 'unacknowledged' ? past.batches : 0;
  if (problems.length === 0 && (inFlight > 0 || (await blockHoldsData(file, scan.endPositionBytes)))) {
    const dataEnd = await dataEndBytes(file, scan.endPositionBytes);
    tornTail = { okUpTo: scan.endPositionBytes, bytes: dataEnd - scan.endPositionBytes, inFlightBatches: inFlight };
    problems.push(tornProblem(segment, scan, tornTail, options.isLast));
  }
  if (trailer !== null) {
    const claim = trailerClaimProblem(segment, trailer, scan, offset, options.quick);
    if (claim !== null) problems.push(claim);
  }
  if (stop !== null && stop.reason === 'zero') stop = null;
  const index = await checkIndex(segment, options.quick ? null : batchStarts, damagedBlocks, start.stale);
  if (index.state === 'stale') {
    problems.push(problem('SEGLOG_INDEX_STALE', 'index', 'warning', segment, null, null, null, null, `${segment.indexPath}: an entry does not point at the batch it names; run seglog index rebuild`));
  }
  return {
    segment,
    header,
    endOffset: scan.endOffset,
    endPositionBytes: scan.endPositionBytes,
    chainEndOffset: offset,
    batches: scan.batches,
    lastBatchPositionBytes,
    records: validRecords,
    stop,
    batchStarts,
    index,
    tornTail,
    problems,
    checkedBytes,
  };
}

/** The last index entry that points at its batch, as recovery starts a sealed segment. */
async function quickStart(
  file: ChainFile,
  segment: SegmentFile,
  header: SegmentHeader,
): Promise<IndexEntry & { stale: boolean }> {
  const entries = await readIndexEntries(segment);
  for (let tries = 0; tries < readLimits.recoveryIndexTriesMax && entries.length > 0; tries++) {
    const last = entries[entries.length - 1]!;
    const step = await batchAt(file, last.blockNumber * header.blockBytes, last.firstOffset);
    if (step.kind === 'batch') return { ...last, stale: tries > 0 };
    entries.pop();
  }
  return { firstOffset: segment.baseOffset, blockNumber: 1, stale: entries.length > 0 };
}

/**
 * The segment as the chain scans see it: a sealed segment's trailer (its last block, format v2)
 * is not part of the chain, so the view ends where the trailer starts, and the trailer is returned
 * for its claims to be checked. A file without a trailer that verifies is seen whole.
 */
export async function sealedView(file: ChainFile): Promise<{ file: ChainFile; trailer: SegmentTrailer | null }> {
  const decoded = await readSegmentTrailer(file.source, file.sizeBytes, file.logId, file.blockBytes);
  if (decoded.kind !== 'trailer' || decoded.trailer.positionBytes !== file.sizeBytes - file.blockBytes) return { file, trailer: null };
  return { file: { ...file, sizeBytes: decoded.trailer.positionBytes }, trailer: decoded.trailer };
}

/** A trailer that says something the scan did not find (another end, another batch count) is damage. */
function trailerClaimProblem(
  segment: SegmentFile,
  trailer: SegmentTrailer,
  scan: ChainScan,
  chainEndOffset: number,
  quick: boolean,
): Problem | null {
  const wrong: string[] = [];
  if (trailer.endOffset !== chainEndOffset) wrong.push(`end offset ${trailer.endOffset}, the chain ends at ${chainEndOffset}`);
  if (trailer.chainEndBytes !== scan.endPositionBytes) wrong.push(`chain end at byte ${trailer.chainEndBytes}, found ${scan.endPositionBytes}`);
  if (!quick && trailer.batches !== scan.batches) wrong.push(`${trailer.batches} batches, found ${scan.batches}`);
  if (wrong.length === 0) return null;
  const message = `${segment.path}: the trailer at byte ${trailer.positionBytes} disagrees with the segment: ${wrong.join('; ')}`;
  return problem('SEGLOG_CORRUPT', 'trailer', 'data', segment, trailer.endOffset, trailer.positionBytes, null, null, message);
}

export async function readIndexEntries(segment: SegmentFile): Promise<IndexEntry[]> {
  const bytes = await readIndexBytes(segment);
  return bytes === null ? [] : decodeIndexEntries(bytes);
}

export function readIndexBytes(segment: SegmentFile): Promise<Uint8Array | null> {
  return readWholeFile(segment.indexPath);
}

/**
 * Every entry must name a batch that starts the chain at its block with its offset. In full mode
 * that is a lookup in the scan's batch starts; quick mode checks only that the entries decode and
 * that the last one (where the scan started) names its batch, as recovery does.
 */
async function checkIndex(segment: SegmentFile, batchStarts: readonly IndexEntry[] | null, damagedBlocks: ReadonlySet<number>, lastEntryStale: boolean): Promise<SegmentCheck['index']> {
  const bytes = await readIndexBytes(segment);
  if (bytes === null) return { state: 'missing', entries: 0 };
  if (bytes.length === 0) return { state: 'empty', entries: 0 };
  const entries = decodeIndexEntries(bytes);
  if (entries.length * INDEX_ENTRY_BYTES !== bytes.length) return { state: 'stale', entries: entries.length };
  if (batchStarts === null) return { state: lastEntryStale ? 'stale' : 'ok', entries: entries.length };
  const offsetAt = new Map(batchStarts.map((entry) => [entry.blockNumber, entry.firstOffset]));
  // An entry at a damaged batch is right about where the batch was; the damage is reported once.
  const named = (entry: IndexEntry): boolean => offsetAt.get(entry.blockNumber) === entry.firstOffset;
  const ok = entries.every((entry) => named(entry) || damagedBlocks.has(entry.blockNumber));
  return { state: ok ? 'ok' : 'stale', entries: entries.length };
}

function damageProblem(
  segment: SegmentFile,
  position: number,
  offset: number,
  stop: BatchBreak,
  beyond: BatchBeyond,
): Problem {
  const beyondAt = beyond.positionBytes;
  const beyondOffset = beyond.header.firstOffset;
  const message = `${segment.path}: damaged batch at byte ${position} (offset ${offset}, ${stop.reason}); valid data resumes at byte ${beyondAt} (offset ${beyondOffset})`;
  return problem('SEGLOG_CORRUPT', 'damage', 'data', segment, offset, position, stop.header?.crc ?? null, stop.computedCrc, message);
}

function tornProblem(segment: SegmentFile, scan: ChainScan, torn: TornTail, isLast: boolean): Problem {
  const where = isLast ? 'torn tail' : 'stray bytes after the last batch of a sealed segment';
  const what = torn.inFlightBatches === 0
    ? 'hold no valid batch'
    : `hold ${torn.inFlightBatches} complete batches that were in flight with the torn one, never acknowledged`;
  const message = `${segment.path}: ${where}: ${torn.bytes} bytes from byte ${scan.endPositionBytes} (offset ${scan.endOffset}) ${what}`;
  return problem('SEGLOG_TORN_TAIL', isLast ? 'torn-tail' : 'stray-bytes', 'warning', segment, scan.endOffset, scan.endPositionBytes, null, null, message);
}

export function problem(
  code: string,
  kind: Problem['kind'],
  severity: Severity,
  segment: SegmentFile | null,
  offset: number | null,
  filePosition: number | null,
  expected: number | null,
  actual: number | null,
  message: string,
): Problem {
  return { code, kind, severity, segment: segment?.name ?? null, offset, filePosition, expected, actual, message };
}

function emptyCheck(segment: SegmentFile, problems: Problem[], checkedBytes: number): SegmentCheck {
  return {
    segment,
    header: null,
    endOffset: segment.baseOffset,
    endPositionBytes: 0,
    chainEndOffset: segment.baseOffset,
    batches: 0,
    lastBatchPositionBytes: null,
    records: 0,
    stop: null,
    batchStarts: [],
    index: { state: 'missing', entries: 0 },
    tornTail: null,
    problems,
    checkedBytes,
  };
}
