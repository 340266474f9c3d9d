/**
 * One job: every bound seglog enforces, with the relationships between them asserted at import.
 * User options are validated against these once, at open (see options.ts in @seglog/store).
 */
import { assert } from './assert.js';

export const limits = {
  /** Smallest block: one disk sector. */
  blockBytesMin: 512,
  /** Largest block we accept; larger blocks only add padding. */
  blockBytesMax: 64 * 1024,
  blockBytesDefault: 4096,
  /** Batch positions are stored as u32 block numbers and sizes as u32 bytes, so stay under 2^32. */
  segmentBytesMax: 2 ** 31,
  segmentBytesDefault: 64 * 1024 * 1024,
  batchBytesMaxDefault: 4 * 1024 * 1024,
  recordBytesMaxDefault: 1024 * 1024,
  inFlightBytesMaxDefault: 64 * 1024 * 1024,
  /**
   * Payload bytes of appends waiting for in-flight room (held as copies, since the caller may
   * reuse its buffers); past it, appends are refused with SEGLOG_OVERLOADED. A caller that awaits
   * each append holds at most one record here, so only callers that do not await reach it.
   */
  queuedBytesMaxDefault: 32 * 1024 * 1024,
  /** The commit window is bounded so a misconfiguration cannot park appends for seconds. */
  commitWindowMicrosMax: 100_000,
  /** Files seglog creates: owner read/write only (a log holds user data). Option `fileMode`. */
  fileModeDefault: 0o600,
  /** Directories openLog creates: owner only. Option `dirMode`. */
  dirModeDefault: 0o700,
  /** Offsets are JS numbers; 2^53 records is beyond any disk. */
  offsetMax: Number.MAX_SAFE_INTEGER,
} as const;

assert(limits.segmentBytesDefault % limits.blockBytesMax === 0, 'default segment holds whole max blocks');
assert(limits.batchBytesMaxDefault < limits.segmentBytesDefault, 'a default batch fits in a default segment');
assert(limits.recordBytesMaxDefault < limits.batchBytesMaxDefault, 'a default record fits in a default batch');
assert(limits.inFlightBytesMaxDefault >= 2 * limits.batchBytesMaxDefault, 'two batches can be in flight');
