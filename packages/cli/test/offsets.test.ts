/**
 * `seglog offsets --time`: the first offset appended at or after a time, on the reader's
 * offsetForTime, checked against times taken between acknowledged batches; v1 records have no time.
 */
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { openLog } from '@seglog/store';
import { payloadOf, removeTempDirs, seglog, tempDir } from './helpers.js';

test.after.always(removeTempDirs);

const V1_LOG = fileURLToPath(new URL('../../testkit/fixtures/v1-log/', import.meta.url));

interface Report {
  version: number;
  offset: number | null;
  appendTimeMs: number | null;
  bounds: { first: number; end: number };
}

test('offsets --time finds the first batch appended at or after each time', async (t) => {
  const dir = await tempDir('offsets');
  const log = await openLog({ dir, segmentBytes: 32 * 1024 });
  // After batch k is acknowledged: every record of it was sealed at or before `between[k]`, and
  // batch k + 1 is sealed at least 5 ms later, so the first offset at or after between[k] + 1 is 10(k + 1).
  const between: number[] = [];
  for (let k = 0; k < 12; k++) {
    await log.appendMany(Array.from({ length: 10 }, (_, j) => payloadOf(10 * k + j)));
    between.push(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 6));
  }
  await log.close();
  for (const k of [0, 4, 10]) {
    const result = await seglog(['offsets', dir, '--time', new Date(between[k]! + 1).toISOString(), '--json']);
    t.is(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report;
    t.is(report.version, 1);
    t.is(report.offset, 10 * (k + 1), `after batch ${k}`);
    t.true(report.appendTimeMs !== null && report.appendTimeMs > between[k]!);
  }
  const first = await seglog(['offsets', dir, '--time', '0']);
  t.regex(first.stdout, /^0 \(appended \S+Z\)$/m, 'ms since the epoch; before everything is the first offset');
  const future = await seglog(['offsets', dir, '--time', '2100-01-01T00:00:00Z', '--json']);
  t.is(future.code, 0);
  t.deepEqual((JSON.parse(future.stdout) as Report).offset, null, 'nothing that new: null');
});

test('offsets --time on a v1 log: no record carries a time, so none is the answer', async (t) => {
  const result = await seglog(['offsets', V1_LOG, '--time', '0', '--json']);
  t.is(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as Report;
  t.is(report.offset, null);
  t.deepEqual(report.bounds, { first: 0, end: 60 });
});

test('offsets: a time that does not parse, or none, is a usage error (16)', async (t) => {
  const dir = await tempDir('offsets-usage');
  const log = await openLog({ dir });
  await log.append(payloadOf(1));
  await log.close();
  t.is((await seglog(['offsets', dir, '--time', 'yesterday'])).code, 16);
  t.is((await seglog(['offsets', dir])).code, 16);
});
