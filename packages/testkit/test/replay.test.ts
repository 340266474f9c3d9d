import test from 'ava';
import { propertyRuns, replayHint, withReplay } from '../src/index.js';

test('propertyRuns takes SEGLOG_SEED when set, else the default seed', (t) => {
  const saved = process.env['SEGLOG_SEED'];
  t.teardown(() => {
    if (saved === undefined) delete process.env['SEGLOG_SEED'];
    else process.env['SEGLOG_SEED'] = saved;
  });
  delete process.env['SEGLOG_SEED'];
  t.deepEqual(propertyRuns(20, 7), { seed: 7, numRuns: 20 });
  process.env['SEGLOG_SEED'] = '0x10';
  t.deepEqual(propertyRuns(20, 7), { seed: 16, numRuns: 20 });
});

test('withReplay appends the replay hint to a thrown error and to a rejection, once', async (t) => {
  const thrown = t.throws(() => withReplay(42, () => {
    throw new Error('property failed');
  }));
  t.is(thrown?.message, `property failed\n${replayHint(42)}`);
  const rejected = await t.throwsAsync(withReplay(43, async () => {
    throw new Error('async property failed');
  }));
  t.is(rejected?.message, `async property failed\n${replayHint(43)}`);
  t.is(withReplay(44, () => 5), 5);
  t.is(replayHint(44), 'reproduce with SEGLOG_SEED=44');
});
