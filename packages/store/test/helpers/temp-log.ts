/** One job: temporary log directories for store tests, removed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileIO } from '@seglog/io';
import { readLog } from '@seglog/testkit';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function payloadFor(offset: number, sizeBytes = 16 + (offset % 97)): Uint8Array {
  const bytes = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) bytes[i] = (offset * 31 + i) & 0xff;
  return bytes;
}

/** Every record of the log in `dir`, read back with testkit's readLog (checksums verified). */
export async function readAll(dir: string): Promise<Array<{ offset: number; payload: Uint8Array }>> {
  const { payloads, firstOffset } = await readLog(nodeFileIO, dir);
  return payloads.map((payload, i) => ({ offset: firstOffset + i, payload }));
}
