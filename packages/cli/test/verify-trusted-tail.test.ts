/**
 * One job: `seglog verify` finds damage in the part of the last segment that the writer's open
 * trusted instead of scanning (store recovery.ts, issue 11): exit 4, naming the segment, offset and
 * byte, though openLog itself succeeded.
 */
import path from 'node:path';
import test from 'ava';
import { openLog } from '@seglog/store';
import { readLimits } from '@seglog/types';
import { flipByte, seglog, segmentNames, tempDir } from './helpers.js';
import { removeTempDirs } from './helpers.js';

test.after.always(removeTempDirs);

const RECORD_BYTES = 60 * 1024;

test('damage before the batch HEAD vouches for: openLog succeeds, verify reports it (exit 4)', async (t) => {
  const dir = await tempDir('trusted');
  const log = await openLog({ dir, indexIntervalBytes: 256 * 1024 });
  // One record per batch, each batch 16 blocks: the 21st batch (offset 20) starts at byte 4096 + 20 * 64 KiB.
  for (let i = 0; i < 100; i++) await log.append(new Uint8Array(RECORD_BYTES).fill(i));
  await log.close();
  const [name] = await segmentNames(dir);
  const batchAt = 4096 + 20 * 64 * 1024;
  await flipByte(path.join(dir, name!), batchAt + 3000);

  const reopened = await openLog({ dir, indexIntervalBytes: 256 * 1024 });
  t.true(reopened.recovery.tailTrustedBytes >= readLimits.recoveryTrustedPrefixBytesMin, 'open did not scan the damage');
  t.true(reopened.recovery.tailTrustedBytes > batchAt);
  await reopened.close();

  const result = await seglog(['verify', dir, '--json']);
  t.is(result.code, 4, result.stderr);
  type Found = { kind: string; segment: string; offset: number; filePosition: number };
  const parsed = JSON.parse(result.stdout) as { status: string; errors: Found[] };
  t.is(parsed.status, 'corrupt');
  const damage = parsed.errors.find((error) => error.kind === 'damage');
  t.like(damage, { segment: name, offset: 20, filePosition: batchAt });
});
