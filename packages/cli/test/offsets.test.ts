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

/**
 * A log of `phases` batches of 10 records, acknowledged one after another with pauses; returns a
 * time between each batch and the next: every record of batch k was sealed at or before mark k,
 * and every record of batch k + 1 at least 5 ms after it.
 */
async function phasedLog(dir: string, phases: number): Promise<number[]> {
  const log = await openLog({ dir, segmentBytes: 32 * 1024 });
  const marks: number[] = [];
  for (let k = 0; k < phases; k++) {
    await log.appendMany(Array.from({ length: 10 }, (_, j) => payloadOf(10 * k + j)));
    await new Promise((resolve) => setTimeout(resolve, 6));
    marks.push(Date.now());
    await new Promise((resolve) => setTimeout(resolve, 6));
  }
  await log.close();
  return marks;
}

interface Report {
  version: number;
  offset: number | null;
  appendTimeMs: number | null;
  bounds: { first: number; end: number };
}

test('offsets --time finds the first batch appended at or after each time', async (t) => {
  const dir = await tempDir('offsets');
  // Every record of batch k was sealed at or before `between[k]`, and batch k + 1 is sealed at
  // least 5 ms later, so the first offset at or after between[k] + 1 is 10(k + 1).
  const between = await phasedLog(dir, 12);
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

test('dump --since/--until: the records appended in a time range, by the same search as offsets --time', async (t) => {
  const dir = await tempDir('dump-since');
  const marks = await phasedLog(dir, 3);
  const offsetsOf = (stdout: string): number[] =>
    stdout.trim().split('\n').filter((line) => line.length > 0).map((line) => (JSON.parse(line) as { offset: number }).offset);
  const since = await seglog(['dump', dir, '--since', String(marks[0]), '--until', new Date(marks[1]!).toISOString(), '--ndjson']);
  t.is(since.code, 0, since.stderr);
  t.deepEqual(offsetsOf(since.stdout), Array.from({ length: 10 }, (_, i) => 10 + i), 'the second phase only');
  const open = await seglog(['dump', dir, '--since', String(marks[1]), '--ndjson']);
  t.deepEqual(offsetsOf(open.stdout), Array.from({ length: 10 }, (_, i) => 20 + i), 'from the third phase to the end');
  const first = `${dir}/00000000000000000000.seg`;
  const fromFile = await seglog(['dump', first, '--until', String(marks[0]), '--ndjson']);
  t.deepEqual(offsetsOf(fromFile.stdout), Array.from({ length: 10 }, (_, i) => i), 'a segment file, by its batch times');
  t.is((await seglog(['dump', dir, '--since', '0', '--from', '3'])).code, 16, '--since excludes --from');
  t.is((await seglog(['dump', dir, '--until', 'soon'])).code, 16, 'a time that does not parse');
});
