import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { spawn } from 'node:child_process';
import { BIN, flipByte, hasAnsi, makeLog, payloadOf, seglog, segmentNames, tearTail } from './helpers.js';
import { removeTempDirs } from './helpers.js';

test.after.always(removeTempDirs);

const decoder = new TextDecoder();

test('stat --json reports the log as it is on disk', async (t) => {
  const dir = await makeLog(400);
  const result = await seglog(['stat', dir, '--json']);
  t.is(result.code, 0, result.stderr);
  const stat = JSON.parse(result.stdout) as {
    version: number;
    formatVersion: number;
    segments: number;
    bytes: number;
    offsets: unknown;
    lock: unknown;
    freeDiskBytes: number;
    appendTimeMs: { first: number | null; last: number | null };
  };
  const names = await segmentNames(dir);
  let bytes = 0;
  for (const name of names) bytes += (await fs.stat(path.join(dir, name))).size;
  t.is(stat.version, 1);
  t.is(stat.formatVersion, 2);
  t.is(stat.segments, names.length);
  t.is(stat.bytes, bytes);
  t.deepEqual(stat.offsets, { first: 0, durable: 400, next: 400 });
  t.deepEqual(stat.lock, { held: false, pid: null, alive: false, holder: 'nobody' });
  t.true(stat.freeDiskBytes > 0);
  t.true(stat.appendTimeMs.first !== null && stat.appendTimeMs.last !== null, 'v2 batches carry their append time');
  t.true(stat.appendTimeMs.first! <= stat.appendTimeMs.last!);
  const text = await seglog(['stat', dir]);
  t.is(text.code, 0);
  t.regex(text.stdout, /durable 400, next 400/);
  t.false(hasAnsi(text.stdout + text.stderr));
});

test('stat on a torn tail says so with exit 2', async (t) => {
  const dir = await makeLog(100);
  await tearTail(dir);
  const result = await seglog(['stat', dir]);
  t.is(result.code, 2);
  t.regex(result.stdout, /SEGLOG_TORN_TAIL/);
});

test('segments lists one row per segment that adds up to the log', async (t) => {
  const dir = await makeLog(700);
  const result = await seglog(['segments', dir, '--json']);
  t.is(result.code, 0, result.stderr);
  interface Row {
    file: string;
    baseOffset: number;
    lastOffset: number;
    records: number;
    sealed: boolean;
    index: string;
  }
  const rows = (JSON.parse(result.stdout) as { segments: Row[] }).segments;
  t.deepEqual(rows.map((row) => row.file), await segmentNames(dir));
  t.is(rows.reduce((sum, row) => sum + row.records, 0), 700);
  for (const [i, row] of rows.entries()) {
    if (i > 0) t.is(row.baseOffset, rows[i - 1]!.lastOffset + 1);
    t.is(row.sealed, i < rows.length - 1);
    t.is(row.index, 'ok');
  }
  const ndjson = await seglog(['segments', dir, '--ndjson']);
  t.is(ndjson.stdout.trim().split('\n').length, rows.length);
  const text = await seglog(['ls', dir]);
  t.regex(text.stdout.split('\n')[0]!, /^file\s+base\s+last\s+records/);
});

test('dump prints a range with each payload rendering', async (t) => {
  const dir = await makeLog(300);
  const ndjson = await seglog(['dump', dir, '--from', '95', '--count', '10', '--ndjson', '--payload', 'base64']);
  t.is(ndjson.code, 0, ndjson.stderr);
  const rows = ndjson.stdout.trim().split('\n').map((line) => JSON.parse(line) as { offset: number; size: number; payload: string });
  t.deepEqual(rows.map((row) => row.offset), [95, 96, 97, 98, 99, 100, 101, 102, 103, 104]);
  for (const row of rows) t.deepEqual(new Uint8Array(Buffer.from(row.payload, 'base64')), payloadOf(row.offset));
  const json = JSON.parse((await seglog(['dump', dir, '--last', '2', '--json', '--payload', 'json'])).stdout) as { version: number; items: { offset: number; payload: { n: number } }[] };
  t.is(json.version, 1);
  t.deepEqual(json.items.map((item) => [item.offset, item.payload.n]), [[298, 298], [299, 299]]);
  const hex = await seglog(['dump', dir, '--from', '7', '--to', '8', '--payload', 'hex']);
  t.is(hex.stdout, `7\t${payloadOf(7).length}\t${Buffer.from(payloadOf(7)).toString('hex')}\n`);
  const utf8 = await seglog(['dump', dir, '--from', '7', '--to', '8']);
  t.is(utf8.stdout, `7\t${payloadOf(7).length}\t${decoder.decode(payloadOf(7))}\n`);
  const none = await seglog(['dump', dir, '--from', '7', '--to', '8', '--payload', 'none']);
  t.is(none.stdout, `7\t${payloadOf(7).length}\n`);
  t.is((await seglog(['dump', dir, '--last', '2', '--from', '3'])).code, 16);
  t.is((await seglog(['dump', dir, '--from', '-3'])).code, 16);
  t.is((await seglog(['dump', dir, '--payload', 'yaml'])).code, 16);
});

test('dump of a directory shows only what HEAD says is durable', async (t) => {
  const dir = await makeLog(100);
  await tearTail(dir);
  const result = await seglog(['dump', dir, '--payload', 'none', '--ndjson']);
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout.trim().split('\n').length, 100);
});

test('dump | head -1 ends quietly with exit 0', async (t) => {
  const dir = await makeLog(3000, 1024 * 1024);
  const result = await new Promise<{ code: number | null; stderr: string; first: string }>((resolve) => {
    const child = spawn(process.execPath, [BIN, 'dump', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let first = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Read one chunk, then close the pipe, as `head -1` does.
    child.stdout.once('data', (chunk: Buffer) => {
      first = chunk.toString().split('\n')[0]!;
      child.stdout.destroy();
    });
    child.on('close', (code) => resolve({ code, stderr, first }));
  });
  t.is(result.first, `0\t${payloadOf(0).length}\t${decoder.decode(payloadOf(0))}`);
  t.is(result.code, 0);
  t.is(result.stderr, '');
});

test('dump of one segment file works when the directory is damaged, and says where the damage is', async (t) => {
  const dir = await makeLog(500);
  const names = await segmentNames(dir);
  await fs.rm(path.join(dir, names[2]!)); // the directory now has a gap
  const whole = await seglog(['dump', dir, '--payload', 'none']);
  t.is(whole.code, 4, 'the reader stops at the gap with SEGLOG_CORRUPT');
  t.regex(whole.stderr, /SEGLOG_CORRUPT/);
  const file = path.join(dir, names[0]!);
  await flipByte(file, 4096 + 56); // a payload byte of the first batch
  const result = await seglog(['dump', file, '--ndjson', '--payload', 'none']);
  t.is(result.code, 4, 'valid data after damage: a data problem');
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type?: string; offset: number; reason?: string; storedCrc?: string; computedCrc?: string });
  const broken = lines.find((line) => line.type === 'break')!;
  t.is(broken.offset, 0);
  t.is(broken.reason, 'crc-mismatch');
  t.not(broken.storedCrc, broken.computedCrc);
  const records = lines.filter((line) => line.type === undefined);
  t.is(records[0]!.offset, 10, 'the damaged batch (offsets 0-9) is skipped, the rest is dumped');
  t.is(records.length, 140);
  t.regex(result.stderr, /crc-mismatch/);
});

test('dump --raw shows every batch with stored and computed CRC', async (t) => {
  const dir = await makeLog(50);
  const result = await seglog(['dump', dir, '--raw', '--ndjson']);
  t.is(result.code, 0, result.stderr);
  const batches = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { type: string; firstOffset: number; records: number; positionBytes: number; storedCrc: string; computedCrc: string; crcOk: boolean });
  t.deepEqual(batches.map((batch) => batch.firstOffset), [0, 10, 20, 30, 40]);
  t.deepEqual(batches.map((batch) => batch.positionBytes), [4096, 8192, 12288, 16384, 20480]);
  for (const batch of batches) t.true(batch.crcOk && batch.storedCrc === batch.computedCrc);
  // v2 headers: each batch was sealed when the one before it was acknowledged (makeLog awaits each).
  const v2 = batches as unknown as { version: number; ackedOffset: number; appendTimeMs: number; chunks: number }[];
  t.deepEqual(v2.map((batch) => batch.ackedOffset), [0, 10, 20, 30, 40]);
  const inOrder = (batch: (typeof v2)[number], i: number): boolean =>
    batch.appendTimeMs >= (v2[i - 1]?.appendTimeMs ?? 0);
  t.true(v2.every((batch, i) => batch.version === 2 && batch.chunks >= 1 && inOrder(batch, i)));
  const text = await seglog(['dump', dir, '--raw']);
  t.regex(text.stdout, /^batch v2 00000000000000000000\.seg @4096 {2}offsets 0\.\.9 {2}body \d+ span \d+ {2}acked 0 time \S+Z chunks 1/);
});
