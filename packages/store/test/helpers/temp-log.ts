/** One job: temporary log directories for store tests, removed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openReader } from '@seglog/reader';

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function payloadFor(offset: number, sizeBytes = 16 + (offset % 97)): Uint8Array {
  const bytes = new Uint8Array(sizeBytes);
  for (let i = 0; i < sizeBytes; i++) bytes[i] = (offset * 31 + i) & 0xff;
  return bytes;
}

/** Every record of the log in `dir`, read back through the reader (checksums verified). */
export async function readAll(dir: string): Promise<Array<{ offset: number; payload: Uint8Array }>> {
  const reader = await openReader({ dir });
  try {
    const records: Array<{ offset: number; payload: Uint8Array }> = [];
    for await (const record of reader.read({ from: await reader.firstOffset() })) records.push({ offset: record.offset, payload: record.payload.slice() });
    return records;
  } finally {
    await reader.close();
  }
}
