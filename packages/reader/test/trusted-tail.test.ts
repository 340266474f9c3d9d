/**
 * One job: damage in the part of the last segment that the writer's open trusted instead of
 * scanning (store recovery.ts, issue 11) is never returned as data: `get` and `read` of it are
 * SEGLOG_CORRUPT naming the file and the damaged chunk's or batch's byte, while the writer's open
 * succeeded.
 */
import test from 'ava';
import { openLog } from '@seglog/store';
import {
  TRUSTED_TAIL_DIR as DIR, TRUSTED_TAIL_SHAPE as shape, trustedTailPayload as payloadAt, writeTrustedTailLog,
} from '@seglog/testkit';
import { ErrorCodes, isSeglogError, readLimits } from '@seglog/types';
import { openReader } from '../src/index.js';

test('a damaged record before the batch HEAD vouches for: the writer opens, the reader refuses it with SEGLOG_CORRUPT', async (t) => {
  // One record per batch: the batch of offset 20 is the 21st.
  const { sim, path, segment } = await writeTrustedTailLog(openLog, 100, 5);
  const at = segment.batches[20]!.positionBytes;
  sim.corrupt(path, at + 3000, Uint8Array.of(0x11, 0x22, 0x33));

  const reopened = await openLog({ dir: DIR, io: sim, ...shape });
  t.true(reopened.recovery.tailTrustedBytes >= readLimits.recoveryTrustedPrefixBytesMin, 'open trusted the damaged part');
  t.true(reopened.recovery.tailTrustedBytes > at);
  await reopened.close();

  const reader = await openReader({ dir: DIR, io: sim });
  t.deepEqual(await reader.get(19), payloadAt(19));
  t.deepEqual(await reader.get(21), payloadAt(21));
  const got = await t.throwsAsync(reader.get(20));
  t.true(isSeglogError(got, ErrorCodes.CORRUPT), String(got));
  t.is((got as { file?: string }).file, path);
  const read = await t.throwsAsync(async () => {
    for await (const record of reader.read({ from: 15, to: 30 })) t.not(record.offset, 20, 'the damaged record is never returned');
  });
  t.true(isSeglogError(read, ErrorCodes.CORRUPT), String(read));
  t.like(read, { file: path, positionBytes: at, offset: 20 });
  await reader.close();
});
