/**
 * `seglog tail` and `tail -f`, run as a child process beside a live writer in this process: the
 * follow prints records as the writer acknowledges them, across a segment roll, and SIGINT ends it
 * with exit 0.
 */
import { spawn } from 'node:child_process';
import test from 'ava';
import { openLog } from '@seglog/store';
import { BIN, hasAnsi, makeLog, payloadOf, removeTempDirs, seglog, segmentNames, tempDir } from './helpers.js';

test.after.always(removeTempDirs);

const decoder = new TextDecoder();

interface Row {
  offset: number;
  size: number;
  appendTimeMs: number | null;
  payload?: unknown;
}

function rowsOf(stdout: string): Row[] {
  return stdout.trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Row);
}

test('tail prints the last 10 records by default, then ends: exit 0', async (t) => {
  const dir = await makeLog(95);
  const result = await seglog(['tail', dir]);
  t.is(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  t.is(lines.length, 10);
  t.is(lines[0], `85\t${payloadOf(85).length}\t${decoder.decode(payloadOf(85))}`);
  t.is(lines[9]!.split('\t')[0], '94');
  t.false(hasAnsi(result.stdout + result.stderr));
});

test('tail --from and --last choose the start; --ndjson payloads match the log', async (t) => {
  const dir = await makeLog(50);
  const from = await seglog(['tail', dir, '--from', '42', '--ndjson', '--payload', 'json']);
  t.is(from.code, 0, from.stderr);
  const rows = rowsOf(from.stdout);
  t.deepEqual(rows.map((row) => row.offset), [42, 43, 44, 45, 46, 47, 48, 49]);
  t.deepEqual(rows[0]!.payload, JSON.parse(decoder.decode(payloadOf(42))));
  t.true(rows.every((row) => typeof row.appendTimeMs === 'number'), 'each record carries its batch\'s append time');
  const last = await seglog(['tail', dir, '--last', '3', '--ndjson', '--payload', 'base64']);
  t.deepEqual(rowsOf(last.stdout).map((row) => row.offset), [47, 48, 49]);
  t.is(rowsOf(last.stdout)[2]!.payload, Buffer.from(payloadOf(49)).toString('base64'));
  const more = await seglog(['tail', dir, '--last', '500', '--ndjson', '--payload', 'none']);
  t.is(rowsOf(more.stdout).length, 50, 'never before the first offset');
  t.false('payload' in rowsOf(more.stdout)[0]!);
});

test('tail: bad flags are usage errors (16); not a log is 8', async (t) => {
  const dir = await makeLog(10);
  t.is((await seglog(['tail', dir, '--from', '1', '--last', '2'])).code, 16);
  t.is((await seglog(['tail', dir, '--last', 'x'])).code, 16);
  t.is((await seglog(['tail', dir, '--json'])).code, 16, 'a stream has no single JSON document');
  const empty = await tempDir('not-a-log');
  const notLog = await seglog(['tail', empty]);
  t.is(notLog.code, 8);
  t.regex(notLog.stderr, /not a seglog directory/);
});

test('tail -f prints records as a live writer acknowledges them, across a roll; SIGINT ends it: exit 0', async (t) => {
  const dir = await tempDir('follow');
  const log = await openLog({ dir, segmentBytes: 64 * 1024 });
  await log.appendMany([payloadOf(0), payloadOf(1), payloadOf(2)]);
  const child = spawn(process.execPath, [BIN, 'tail', '-f', dir, '--from', '1', '--ndjson'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const waiters: { count: number; resolve: () => void }[] = [];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    const rows = rowsOf(stdout).length;
    for (const waiter of waiters.filter((one) => rows >= one.count)) waiter.resolve();
  });
  const seen = (count: number): Promise<void> =>
    rowsOf(stdout).length >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  await seen(2);
  // Enough records for several 64 KiB segments: the follow crosses rolls.
  const total = 3000;
  for (let i = 3; i < total; i += 100) {
    await log.appendMany(Array.from({ length: Math.min(100, total - i) }, (_, j) => payloadOf(i + j)));
  }
  await seen(total - 1);
  child.kill('SIGINT');
  const code = await closed;
  await log.close();
  t.is(code, 0, stderr);
  t.true((await segmentNames(dir)).length > 2, 'the follow crossed segment rolls');
  const rows = rowsOf(stdout);
  t.deepEqual(rows.map((row) => row.offset), Array.from({ length: total - 1 }, (_, i) => i + 1), 'every record, once, in order');
  t.is(rows[total - 2]!.payload, decoder.decode(payloadOf(total - 1)));
  t.false(hasAnsi(stdout + stderr));
});

test('tail -f | head -1: the follow ends quietly (exit 0) once stdout has no reader', async (t) => {
  const dir = await tempDir('follow-epipe');
  const log = await openLog({ dir });
  await log.append(payloadOf(0));
  const child = spawn(process.execPath, [BIN, 'tail', '-f', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // The reader of stdout takes one line and goes away, as `head -1` does.
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.stdout.destroy();
  let exited = false;
  void closed.then(() => (exited = true));
  for (let i = 1; i < 200 && !exited; i++) {
    await log.append(payloadOf(i));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await log.close();
  t.is(await closed, 0, stderr);
  t.false(/error/i.test(stderr), stderr);
});
