import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { acquireDirLock } from '@seglog/io';
import { openReader } from '@seglog/reader';
import { flipByte, hashDir, makeLog, payloadOf, recordsAfterOpen, seglog, segmentNames, tearTail, tempDir } from './helpers.js';
import { removeTempDirs } from './helpers.js';

test.after.always(removeTempDirs);

const TORN = new Uint8Array(100).fill(0xab);
TORN.set([0x53, 0x47, 0x42, 0x31], 0);

async function bytesAt(file: string, position: number, length: number): Promise<Uint8Array> {
  const handle = await fs.open(file, 'r');
  try {
    const bytes = new Uint8Array(length);
    await handle.read(bytes, 0, length, position);
    return bytes;
  } finally {
    await handle.close();
  }
}

async function backupFiles(dir: string): Promise<string[]> {
  const root = path.join(dir, '.seglog-repair');
  const found: string[] = [];
  for (const stamp of await fs.readdir(root).catch(() => [] as string[])) {
    for (const name of await fs.readdir(path.join(root, stamp))) found.push(path.join(root, stamp, name));
  }
  return found;
}

test('repair without --apply changes no byte and prints its plan', async (t) => {
  const dir = await makeLog(300);
  const torn = await tearTail(dir);
  const before = await hashDir(dir);
  const result = await seglog(['repair', dir]);
  t.is(result.code, 2, result.stderr);
  t.regex(result.stdout, new RegExp(`cut the torn tail of ${path.basename(torn.file)}: 100 bytes from byte ${torn.at}`));
  t.regex(result.stdout, /records lost: 0/);
  t.regex(result.stdout, /dry run: nothing was changed/);
  const json = JSON.parse((await seglog(['repair', dir, '--json'])).stdout) as { version: number; applied: boolean; plan: { action: string; cut: { bytes: number } } };
  t.is(json.version, 1);
  t.false(json.applied);
  t.is(json.plan.action, 'cut-torn-tail');
  t.is(json.plan.cut.bytes, 100);
  t.is(await hashDir(dir), before);
});

test('repair --apply backs up the torn tail, cuts it, and the log verifies clean', async (t) => {
  const dir = await makeLog(300);
  const torn = await tearTail(dir);
  const result = await seglog(['repair', dir, '--apply']);
  t.is(result.code, 1, result.stderr);
  const backups = await backupFiles(dir);
  const data = backups.find((file) => file.endsWith('.bin'))!;
  t.deepEqual(new Uint8Array(await fs.readFile(data)), TORN, 'the backup holds exactly the cut bytes');
  const manifest = JSON.parse(await fs.readFile(backups.find((file) => file.endsWith('manifest.json'))!, 'utf8')) as { positionBytes: number; bytes: number };
  t.deepEqual([manifest.positionBytes, manifest.bytes], [torn.at, 100]);
  t.deepEqual(await bytesAt(torn.file, torn.at, 100), new Uint8Array(100));
  t.is((await seglog(['verify', dir])).code, 0);
  t.is(await recordsAfterOpen(dir), 300);
  const again = await seglog(['repair', dir, '--apply']);
  t.is(again.code, 0);
  t.regex(again.stdout, /nothing to repair/);
});

test('repair --apply refuses while the writer lock is held, and changes nothing', async (t) => {
  const dir = await makeLog(100);
  await tearTail(dir);
  const lock = await acquireDirLock(dir);
  try {
    const before = await hashDir(dir);
    const result = await seglog(['repair', dir, '--apply', '--json']);
    t.is(result.code, 8);
    t.regex(result.stderr, /held/);
    t.is((JSON.parse(result.stdout) as { error: { code: string } }).error.code, 'SEGLOG_LOCKED');
    t.is(await hashDir(dir), before);
  } finally {
    await lock.release();
  }
});

test('mid-log damage is refused with exit 4; --salvage copies every valid record into a new log', async (t) => {
  const dir = await makeLog(500);
  await flipByte(path.join(dir, (await segmentNames(dir))[1]!), 4096 + 40); // offsets 150-159
  const before = await hashDir(dir);
  const refused = await seglog(['repair', dir, '--apply']);
  t.is(refused.code, 4);
  t.regex(refused.stdout, /refused/);
  t.regex(refused.stdout, /--salvage/);
  t.is(await hashDir(dir), before);
  const out = path.join(await tempDir('salvage'), 'new');
  const salvaged = await seglog(['repair', dir, '--salvage', out, '--json']);
  t.is(salvaged.code, 5, salvaged.stderr);
  interface Run { sourceFrom: number; sourceTo: number; newFrom: number }
  const report = JSON.parse(salvaged.stdout) as { recordsCopied: number; runs: Run[] };
  t.is(report.recordsCopied, 490);
  t.deepEqual(report.runs, [
    { sourceFrom: 0, sourceTo: 150, newFrom: 0 },
    { sourceFrom: 160, sourceTo: 500, newFrom: 150 },
  ]);
  t.is(await hashDir(dir), before, 'salvage never changes the damaged log');
  const reader = await openReader({ dir: out });
  try {
    let i = 0;
    for await (const record of reader.read({ from: 0 })) {
      const source = i < 150 ? i : i + 10;
      t.deepEqual(record.payload, payloadOf(source));
      i++;
    }
    t.is(i, 490);
  } finally {
    await reader.close();
  }
  t.is((await seglog(['verify', out])).code, 0);
  const notEmpty = await seglog(['repair', dir, '--salvage', out]);
  t.is(notEmpty.code, 16, 'salvage never writes into an existing log');
});

for (const step of ['backup-data', 'backup-synced', 'cut-partial', 'cut-synced']) {
  test(`kill -9 of repair --apply at ${step}: the log plus its backup hold every acknowledged record`, async (t) => {
    const dir = await makeLog(300);
    const torn = await tearTail(dir);
    const killed = await seglog(['repair', dir, '--apply'], { env: { SEGLOG_CLI_CRASH_AT: step } });
    t.is(killed.signal, 'SIGKILL');
    // Every acknowledged record is still in the log: the cut only ever touches the torn bytes.
    t.is(await recordsAfterOpen(dir), 300);
    // And the torn bytes are either still in place or whole in the backup.
    const inPlace = await bytesAt(torn.file, torn.at, 100);
    const data = (await backupFiles(dir)).find((file) => file.endsWith('.bin'));
    if (data === undefined || !Buffer.from(inPlace).equals(Buffer.from(TORN))) {
      t.truthy(data, 'the segment changed only after the backup existed');
      t.deepEqual(new Uint8Array(await fs.readFile(data!)), TORN);
    } else {
      t.pass('nothing was cut yet');
    }
    // The next run (or the writer's own recovery, above) finishes the job.
    t.true([0, 1].includes((await seglog(['repair', dir, '--apply'])).code ?? -1));
    t.is((await seglog(['verify', dir])).code, 0);
  });
}
