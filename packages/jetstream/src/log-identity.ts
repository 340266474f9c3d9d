/**
 * One job: learn a log directory's id (and its range) from its HEAD file, without opening the log
 * or taking its lock: the shipper may run in another process than the writer.
 *
 * Why HEAD: the id is in every segment header too, but HEAD is one small file at a fixed name,
 * written by every log since issue 9, and it carries the low-water mark as well.
 */
import { join } from 'node:path';
import { decodeHead, HEAD_FILE_BYTES, HEAD_FILE_NAME, readFully, type HeadState } from '@seglog/format';
import { readLimits, SeglogError, type FileIO } from '@seglog/types';

/** HEAD's newest valid slot; a torn read (a slot being rewritten) is read again. */
export async function readLogHead(io: FileIO, dir: string): Promise<HeadState> {
  const path = join(dir, HEAD_FILE_NAME);
  for (let attempt = 1; ; attempt++) {
    const bytes = await readHeadBytes(io, path);
    const state = decodeHead(bytes, path);
    if (state !== null) return state;
    if (attempt >= readLimits.headReadAttempts) {
      throw SeglogError.corrupt(`${path} has no valid slot after ${attempt} reads`, { file: path, positionBytes: 0 });
    }
  }
}

async function readHeadBytes(io: FileIO, path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await io.open(path, 'read');
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 'ENOENT') {
      throw SeglogError.invalidOption('dir', `has no ${HEAD_FILE_NAME} file at ${path}: not a seglog log (open it with openLog once first)`);
    }
    throw SeglogError.io('open', path, error);
  }
  try {
    const bytes = new Uint8Array(HEAD_FILE_BYTES);
    const read = await readFully(handle, bytes, 0).catch((error: unknown) => {
      throw SeglogError.io('read', path, error);
    });
    return bytes.subarray(0, read);
  } finally {
    await handle.close();
  }
}
