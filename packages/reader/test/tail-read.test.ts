/**
 * One job: a follower's reads at a live segment's written end (batch-cache.ts `#tailReadBytes`,
 * `#readTailSync`) over the real files: reads sized by what the last read found, done
 * synchronously, never cut a batch short. A batch far larger than the small reads before it
 * arrives whole, and so do the small ones after it, in order.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { openLog } from '@seglog/store';
import { openReader } from '../src/index.js';

test('a follower at the written end gets a batch far larger than its last reads whole, and the small ones around it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-tail-read-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const log = await openLog({ dir });
  t.teardown(() => log.close());
  const reader = await openReader({ dir });
  t.teardown(() => reader.close());
  const sizes = [100, 100, 100, 300_000, 100, 5_000, 100, 150_000, 100];
  const payloadOf = (offset: number): Uint8Array => new Uint8Array(sizes[offset]!).fill(offset + 1);
  const got: { offset: number; payload: Uint8Array }[] = [];
  const following = (async () => {
    for await (const record of reader.read({ from: 0, follow: true, signal: AbortSignal.timeout(60_000) })) {
      got.push(record);
      if (got.length === sizes.length) break;
    }
  })();
  // One append at a time, each waited for by the follower: every read after the first is at the end.
  for (let offset = 0; offset < sizes.length; offset++) {
    await log.append(payloadOf(offset));
    while (got.length <= offset) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await following;
  t.deepEqual(got.map((record) => record.offset), sizes.map((_, offset) => offset));
  got.forEach((record) => t.deepEqual(record.payload, payloadOf(record.offset), `record ${record.offset}`));
});
