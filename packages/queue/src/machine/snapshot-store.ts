/**
 * One job: crash-safe snapshot files of a state machine. A snapshot is the machine's state after
 * applying every record below `offset`; open loads the newest valid one and replays the records
 * from `offset`, so open time follows the records since the last snapshot, not the whole history.
 *
 * Writing one: a `.tmp` file, fdatasync, rename to `snapshot-<offset, 20 digits>.snap`, fsync of
 * the directory (the rename is not durable without it: etcd #6368, #22340), then older snapshots
 * beyond `keep` are unlinked. A crash at any point leaves the previous snapshot, or the new one,
 * never a half one under a final name; a stray `.tmp` is ignored and removed by the next write.
 *
 * Bytes: magic "SGQSNAP1" (8), version u32 LE, CRC-32C u32 LE of everything after it, offset f64
 * LE, body length f64 LE, body. A file that fails any check is skipped for an older one.
 */
import { crc32c } from '@seglog/format';
import { SeglogError } from '@seglog/types';
import type { FileIO } from '@seglog/types';
import { ensureDurableDir } from './durable-dir.js';

const MAGIC = new TextEncoder().encode('SGQSNAP1');
const VERSION = 1;
const HEADER_BYTES = 32;
const NAME_PATTERN = /^snapshot-(\d{20})\.snap$/;
export const SNAPSHOTS_KEPT_DEFAULT = 2;

export interface LoadedSnapshot {
  readonly offset: number;
  readonly body: Uint8Array;
  readonly file: string;
}

export function snapshotFileName(offset: number): string {
  return `snapshot-${String(offset).padStart(20, '0')}.snap`;
}

export function encodeSnapshot(offset: number, body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + body.byteLength);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(8, VERSION, true);
  view.setFloat64(16, offset, true);
  view.setFloat64(24, body.byteLength, true);
  bytes.set(body, HEADER_BYTES);
  view.setUint32(12, crc32c(bytes.subarray(16)), true);
  return bytes;
}

/** The snapshot in `bytes`, or null when they are not a whole, valid snapshot. */
export function decodeSnapshot(bytes: Uint8Array): { offset: number; body: Uint8Array } | null {
  if (bytes.byteLength < HEADER_BYTES) return null;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8, true) !== VERSION) return null;
  const offset = view.getFloat64(16, true);
  const length = view.getFloat64(24, true);
  if (!Number.isSafeInteger(offset) || offset < 0 || length !== bytes.byteLength - HEADER_BYTES) return null;
  if (view.getUint32(12, true) !== crc32c(bytes.subarray(16))) return null;
  return { offset, body: bytes.subarray(HEADER_BYTES) };
}

export class SnapshotStore {
  readonly #io: FileIO;
  readonly #dir: string;
  readonly #keep: number;

  constructor(io: FileIO, dir: string, keep = SNAPSHOTS_KEPT_DEFAULT) {
    this.#io = io;
    this.#dir = dir;
    this.#keep = keep;
  }

  async ensureDir(): Promise<void> {
    await ensureDurableDir(this.#io, this.#dir);
  }

  /** Makes `snapshotFileName(offset)` durable, then prunes older snapshots. */
  async write(offset: number, body: Uint8Array): Promise<void> {
    const final = `${this.#dir}/${snapshotFileName(offset)}`;
    const tmp = `${final}.tmp`;
    const handle = await this.#io.open(tmp, 'truncate');
    try {
      await handle.writev([encodeSnapshot(offset, body)], 0);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await this.#io.rename(tmp, final);
    await this.#io.syncDir(this.#dir);
    await this.#prune(offset);
  }

  /** The newest snapshot that verifies, or null. Damaged or partial files are skipped. */
  async loadNewest(): Promise<LoadedSnapshot | null> {
    for (const { name } of (await this.#list()).reverse()) {
      const file = `${this.#dir}/${name}`;
      const decoded = decodeSnapshot(await this.#readAll(file));
      if (decoded !== null && snapshotFileName(decoded.offset) === name) return { ...decoded, file };
    }
    return null;
  }

  async #list(): Promise<{ name: string; offset: number }[]> {
    const names = await this.#io.readdir(this.#dir);
    return names
      .flatMap((name) => {
        const match = NAME_PATTERN.exec(name);
        return match === null ? [] : [{ name, offset: Number(match[1]) }];
      })
      .sort((a, b) => a.offset - b.offset);
  }

  async #prune(newest: number): Promise<void> {
    const names = await this.#io.readdir(this.#dir);
    const stale = names.filter((name) => name.endsWith('.snap.tmp'));
    const snapshots = (await this.#list()).filter((entry) => entry.offset <= newest);
    stale.push(...snapshots.slice(0, Math.max(0, snapshots.length - this.#keep)).map((entry) => entry.name));
    for (const name of stale) if (!name.startsWith(snapshotFileName(newest))) await this.#io.unlink(`${this.#dir}/${name}`);
    if (stale.length > 0) await this.#io.syncDir(this.#dir);
  }

  async #readAll(file: string): Promise<Uint8Array> {
    const handle = await this.#io.open(file, 'read');
    try {
      const size = await handle.sizeBytes();
      const bytes = new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const count = await handle.read(bytes.subarray(done), done);
        if (count === 0) break;
        done += count;
      }
      return bytes.subarray(0, done);
    } catch (error) {
      throw SeglogError.io('read snapshot', file, error);
    } finally {
      await handle.close();
    }
  }
}
