/** One job: the default I/O engine (nodeFileIO) on a real directory. */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFileIO } from '@seglog/io';
import { ErrorCodes } from '@seglog/types';
import { openReader } from '../src/index.js';
import { appendBatch, batchesFrom, buildLog, collect, expectedRecords } from './helpers/build-log.js';

test('by default the reader reads real files through nodeFileIO', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-reader-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const log = await buildLog(nodeFileIO, {
    dir,
    segments: [{ batches: batchesFrom(0, 20, 5, 900) }, { batches: batchesFrom(100, 30, 2, 3000), index: 'none' }],
  });
  const reader = await openReader({ dir });
  t.is(await reader.endOffset(), 160);
  t.deepEqual(await reader.get(123), log.payloads.get(123));
  t.deepEqual(await collect(reader.read({ from: 0 })), expectedRecords(log, 0, 160));
  await appendBatch(log, batchesFrom(160, 1, 3)[0]!);
  t.is(await reader.endOffset(), 163);
  await t.throwsAsync(reader.get(163), { code: ErrorCodes.OUT_OF_RANGE } as never);
  await reader.close();
  await t.throwsAsync(reader.get(0), { code: ErrorCodes.CLOSED } as never);
});
