/**
 * One job: watch every write and flush of HEAD through a FileIO and check the rule that keeps a
 * valid slot on disk whatever a power cut does (head-checkpoint.ts): when a write to a slot starts,
 * some *other* slot holds a valid state that a completed flush made durable and that nothing has
 * overwritten since. The simulator keeps or drops a 512-byte slot write whole, so its crashes alone
 * cannot show a write that tears the flushed slot on a real disk; this check can: it fails the
 * moment a write could have.
 *
 * A slot counts as flushed when an fdatasync that *started* after its write completed has
 * completed (a flush covers only the writes done before it began), and stops counting at the next
 * write to it. A HEAD made by rename (temp file, flushed) starts with its flushed slots. It also
 * counts the writes issued while a flush of the same file was running: the third slot's point.
 */
import { HEAD_FILE_NAME, HEAD_SLOT_BYTES, HEAD_SLOT_COUNT, decodeHeadFile } from '@seglog/format';
import { wrapFileHandle, wrapFileIO } from '@seglog/testkit';
import type { FileHandle, FileIO } from '@seglog/types';

interface SlotWatch {
  /** The slot's bytes as last written (zeros before). */
  bytes: Uint8Array;
  /** Bumped by each completed write. */
  writes: number;
  writing: boolean;
  flushed: boolean;
}

/** One HEAD file (an inode): a temp file keeps its record when renamed to HEAD. */
class FileWatch {
  readonly slots: SlotWatch[] = Array.from({ length: HEAD_SLOT_COUNT }, () => ({
    bytes: new Uint8Array(HEAD_SLOT_BYTES),
    writes: 0,
    writing: false,
    flushed: false,
  }));
  syncsRunning = 0;
}

export interface HeadSlotReport {
  /** Writes to HEAD that started with no other slot flushed and valid (must stay 0). */
  readonly violations: readonly string[];
  /** Writes to HEAD issued while a flush of HEAD was running. */
  readonly writesDuringFlush: number;
  readonly writes: number;
  readonly flushes: number;
}

export interface HeadSlotWatch {
  readonly io: FileIO;
  report(): HeadSlotReport;
}

function isValid(slot: SlotWatch, index: number): boolean {
  const file = new Uint8Array(HEAD_SLOT_COUNT * HEAD_SLOT_BYTES);
  file.set(slot.bytes, index * HEAD_SLOT_BYTES);
  return decodeHeadFile(file, HEAD_FILE_NAME) !== null;
}

/** True when writing `buffers` at `position` would leave every byte as it is. */
function sameBytes(watch: FileWatch, buffers: readonly Uint8Array[], position: number): boolean {
  let at = position;
  for (const buffer of buffers) {
    for (let i = 0; i < buffer.length; i++, at++) {
      const slot = watch.slots[Math.floor(at / HEAD_SLOT_BYTES)];
      if (slot === undefined || slot.bytes[at % HEAD_SLOT_BYTES] !== buffer[i]) return false;
    }
  }
  return true;
}

/**
 * An existing HEAD opened for writing (at a log's open): its slots are taken as they are and as
 * flushed, since what an open finds is, after a power cut, what the disk kept (in the same boot it
 * may still be in the page cache: the watch cannot tell, and trusts it).
 */
async function adoptContents(handle: FileHandle, watch: FileWatch): Promise<void> {
  const bytes = new Uint8Array(HEAD_SLOT_COUNT * HEAD_SLOT_BYTES);
  let read = 0;
  for (let got = -1; got !== 0 && read < bytes.length; read += got) got = await handle.read(bytes.subarray(read), read);
  watch.slots.forEach((slot, index) => {
    slot.bytes.set(bytes.subarray(index * HEAD_SLOT_BYTES, (index + 1) * HEAD_SLOT_BYTES));
    slot.flushed = true;
  });
}

export function watchHeadSlots(inner: FileIO): HeadSlotWatch {
  const files = new Map<string, FileWatch>();
  const violations: string[] = [];
  let writesDuringFlush = 0;
  let writes = 0;
  let flushes = 0;
  const isHead = (path: string): boolean => path.endsWith(`/${HEAD_FILE_NAME}`) || path.endsWith(`/${HEAD_FILE_NAME}.tmp`);

  const beforeWrite = (watch: FileWatch, path: string, first: number, last: number, unchanged: boolean): void => {
    writes++;
    if (watch.syncsRunning > 0) writesDuringFlush++;
    // Rewriting a slot's own bytes (an open re-flushing the slot it found) changes nothing on disk,
    // torn or not: the slot stays what it was.
    if (unchanged) return;
    for (let slot = first; slot <= last; slot++) {
      watch.slots[slot]!.writing = true;
      watch.slots[slot]!.flushed = false;
    }
    if (path.endsWith('.tmp')) return; // not HEAD yet: a crash leaves the old HEAD
    const safe = watch.slots.some((slot, index) => !slot.writing && slot.flushed && isValid(slot, index));
    if (!safe) violations.push(`write ${writes} to slots ${first}..${last} of ${path}: no other slot flushed and valid`);
  };

  const wrap = (handle: FileHandle, watch: FileWatch): FileHandle => wrapFileHandle(handle, {
    writev: async (buffers, position) => {
      const length = buffers.reduce((sum, buffer) => sum + buffer.length, 0);
      const first = Math.floor(position / HEAD_SLOT_BYTES);
      const last = Math.min(HEAD_SLOT_COUNT - 1, Math.floor((position + length - 1) / HEAD_SLOT_BYTES));
      beforeWrite(watch, handle.path, first, last, sameBytes(watch, buffers, position));
      try {
        await handle.writev(buffers, position);
      } finally {
        let at = position;
        for (const buffer of buffers) {
          for (let i = 0; i < buffer.length; i++, at++) {
            const slot = watch.slots[Math.floor(at / HEAD_SLOT_BYTES)];
            if (slot !== undefined) slot.bytes[at % HEAD_SLOT_BYTES] = buffer[i]!;
          }
        }
        for (let slot = first; slot <= last; slot++) {
          watch.slots[slot]!.writing = false;
          watch.slots[slot]!.writes++;
        }
      }
    },
    datasync: async () => {
      // What this flush covers: the writes completed before it started.
      const covered = watch.slots.map((slot) => (slot.writing ? -1 : slot.writes));
      watch.syncsRunning++;
      try {
        await handle.datasync();
        flushes++;
        watch.slots.forEach((slot, index) => {
          if (covered[index] === slot.writes && !slot.writing) slot.flushed = true;
        });
      } finally {
        watch.syncsRunning--;
      }
    },
  });

  const io = wrapFileIO(inner, {
    wrapHandle: async (handle, path, mode) => {
      if (!isHead(path) || mode === 'read') return handle;
      const watch = new FileWatch();
      if (mode !== 'truncate') await adoptContents(handle, watch);
      files.set(path, watch);
      return wrap(handle, watch);
    },
    overrides: {
      rename: async (source, target) => {
        await inner.rename(source, target);
        const moved = files.get(source);
        if (moved !== undefined) files.set(target, moved);
        files.delete(source);
      },
    },
  });
  return { io, report: () => ({ violations, writesDuringFlush, writes, flushes }) };
}
