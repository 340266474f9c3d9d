import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { nodeFileIO, systemClock } from '../src/index.js';
import { remainderAfter } from '../src/node-file-io.js';
import { firstLine, sourceIndexUrl, spawnModuleScript, tempDir } from './support.js';

const io = nodeFileIO;

function filled(lengthBytes: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(lengthBytes);
  for (let i = 0; i < lengthBytes; i++) bytes[i] = (seed * 31 + i) & 0xff;
  return bytes;
}

function concat(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)));
}

test('writev places buffers at the position, in order, and read returns them', async (t) => {
  const file = path.join(tempDir(t), 'a.seg');
  const handle = await io.open(file, 'create');
  const first = [filled(100, 1), filled(4000, 2), filled(1, 3)];
  const second = [filled(512, 4), filled(512, 5)];
  await handle.writev(first, 0);
  await handle.writev(second, 8192);
  t.is(await handle.sizeBytes(), 8192 + 1024);
  const back = new Uint8Array(8192 + 1024);
  t.is(await handle.read(back, 0), back.byteLength);
  t.deepEqual(Buffer.from(back.subarray(0, 4101)), concat(first));
  t.true(back.subarray(4101, 8192).every((byte) => byte === 0), 'the gap reads as zeros');
  t.deepEqual(Buffer.from(back.subarray(8192)), concat(second));
  await handle.close();
});

test('writev writes more buffers than one system call takes (IOV_MAX is 1024)', async (t) => {
  const file = path.join(tempDir(t), 'many.seg');
  const handle = await io.open(file, 'truncate');
  const buffers = Array.from({ length: 3000 }, (_, i) => filled(1 + (i % 7), i));
  await handle.writev(buffers, 512);
  const expected = concat(buffers);
  const back = new Uint8Array(expected.byteLength);
  t.is(await handle.read(back, 512), expected.byteLength);
  t.deepEqual(Buffer.from(back), expected);
  t.is(await handle.sizeBytes(), 512 + expected.byteLength);
  await handle.close();
});

test('writev of nothing writes nothing', async (t) => {
  const file = path.join(tempDir(t), 'empty.seg');
  const handle = await io.open(file, 'create');
  await handle.writev([], 0);
  await handle.writev([new Uint8Array(0)], 4096);
  t.is(await handle.sizeBytes(), 0);
  await handle.close();
});

test('after a short write, the rest starts exactly where the kernel stopped', (t) => {
  const buffers = [filled(3, 1), filled(5, 2), filled(2, 3)];
  const whole = concat(buffers);
  for (let writtenBytes = 1; writtenBytes < whole.byteLength; writtenBytes++) {
    const rest = remainderAfter(buffers, writtenBytes);
    t.deepEqual(concat(rest), whole.subarray(writtenBytes), `after ${writtenBytes} bytes`);
    t.true(rest.every((part) => part.byteLength > 0), 'no empty leading buffer');
  }
});

test('a write cut short by the file size limit writes the prefix and rejects with the Node error', async (t) => {
  const file = path.join(tempDir(t), 'limited.seg');
  // ulimit -f makes the kernel accept part of the pwritev (a short write), then refuse with EFBIG.
  const child = spawnModuleScript(
    t,
    `import { nodeFileIO } from ${JSON.stringify(sourceIndexUrl)};
     const handle = await nodeFileIO.open(${JSON.stringify(file)}, 'create');
     const parts = [0, 1, 2, 3].map((i) => new Uint8Array(1500).fill(i + 1));
     let outcome;
     try { await handle.writev(parts, 0); outcome = { code: null }; }
     catch (error) { outcome = { code: error.code, syscall: error.syscall }; }
     outcome.sizeBytes = await handle.sizeBytes();
     console.log(JSON.stringify(outcome));`,
    'ulimit -f 4',
  );
  const outcome = JSON.parse(await firstLine(child)) as { code: string | null; syscall: string; sizeBytes: number };
  t.is(outcome.code, 'EFBIG');
  t.is(outcome.syscall, 'write');
  t.true(outcome.sizeBytes > 0 && outcome.sizeBytes < 6000, `partial size ${outcome.sizeBytes}`);
  const written = fs.readFileSync(file);
  const expected = concat([0, 1, 2, 3].map((i) => new Uint8Array(1500).fill(i + 1)));
  t.deepEqual(written, expected.subarray(0, outcome.sizeBytes));
});

test('read at or past EOF returns 0, and a read across EOF returns the bytes that exist', async (t) => {
  const file = path.join(tempDir(t), 'short.seg');
  const handle = await io.open(file, 'create');
  await handle.writev([filled(10, 9)], 0);
  t.is(await handle.read(new Uint8Array(4), 10), 0);
  t.is(await handle.read(new Uint8Array(4), 1000), 0);
  const tail = new Uint8Array(8);
  t.is(await handle.read(tail, 6), 4);
  t.deepEqual(Buffer.from(tail.subarray(0, 4)), Buffer.from(filled(10, 9).subarray(6)));
  await handle.close();
});

test('open modes: create refuses an existing file, read/write need one, truncate empties it', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'x.seg');
  const created = await io.open(file, 'create');
  await created.writev([filled(64, 1)], 0);
  await created.close();

  const exists = await t.throwsAsync(io.open(file, 'create'));
  t.is((exists as NodeJS.ErrnoException).code, 'EEXIST');
  t.is((exists as NodeJS.ErrnoException).syscall, 'open');
  for (const mode of ['read', 'write'] as const) {
    const missing = await t.throwsAsync(io.open(path.join(dir, 'missing.seg'), mode));
    t.is((missing as NodeJS.ErrnoException).code, 'ENOENT');
  }

  const reader = await io.open(file, 'read');
  t.is(await reader.sizeBytes(), 64);
  const readOnly = await t.throwsAsync(reader.writev([filled(1, 1)], 0));
  t.is((readOnly as NodeJS.ErrnoException).code, 'EBADF');
  await reader.close();

  const writer = await io.open(file, 'write');
  t.is(await writer.sizeBytes(), 64, 'write mode keeps the content');
  await writer.close();

  const truncated = await io.open(file, 'truncate');
  t.is(await truncated.sizeBytes(), 0);
  await truncated.close();
});

test('readSync reads at a position like read; isLinkedSync turns false once a rename replaces the file', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'HEAD');
  const writer = await io.open(file, 'create');
  await writer.writev([filled(1536, 9)], 0);
  const reader = await io.open(file, 'read');
  const back = new Uint8Array(600);
  t.is(reader.readSync!(back, 512), 600);
  t.deepEqual(Buffer.from(back), Buffer.from(filled(1536, 9).subarray(512, 1112)));
  t.is(reader.readSync!(back, 1500), 36, 'a read across EOF returns the bytes that exist');
  t.is(reader.readSync!(back, 4096), 0, 'a read past EOF returns 0');
  await writer.writev([filled(512, 3)], 512);
  t.is(reader.readSync!(back, 512), 600);
  t.deepEqual(Buffer.from(back.subarray(0, 512)), Buffer.from(filled(512, 3)), 'an in-place write is seen through the held descriptor');
  t.true(reader.isLinkedSync!());
  fs.writeFileSync(path.join(dir, 'HEAD.tmp'), filled(1536, 4));
  await io.rename(path.join(dir, 'HEAD.tmp'), file);
  t.false(reader.isLinkedSync!(), 'the held file was replaced by the rename');
  await reader.close();
  await writer.close();
  t.throws(() => reader.readSync!(back, 0), { code: 'EBADF' });
  t.throws(() => reader.isLinkedSync!(), { code: 'EBADF' });
});

test('truncate sets the size both ways; datasync and sync succeed', async (t) => {
  const handle = await io.open(path.join(tempDir(t), 't.seg'), 'create');
  await handle.writev([filled(1000, 1)], 0);
  await handle.truncate(300);
  t.is(await handle.sizeBytes(), 300);
  await handle.truncate(4096);
  t.is(await handle.sizeBytes(), 4096);
  const back = new Uint8Array(4096);
  await handle.read(back, 0);
  t.deepEqual(Buffer.from(back.subarray(0, 300)), Buffer.from(filled(1000, 1).subarray(0, 300)));
  t.true(back.subarray(300).every((byte) => byte === 0));
  await handle.datasync();
  await handle.sync();
  await handle.close();
});

test('a closed handle rejects with EBADF and closing twice is harmless', async (t) => {
  const handle = await io.open(path.join(tempDir(t), 'c.seg'), 'create');
  await handle.close();
  await handle.close();
  const error = await t.throwsAsync(handle.read(new Uint8Array(1), 0));
  t.is((error as NodeJS.ErrnoException).code, 'EBADF');
  await t.throwsAsync(handle.datasync(), { code: 'EBADF' });
});

test('stat tells files from directories and resolves null when nothing is there', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 's.seg');
  fs.writeFileSync(file, Buffer.alloc(123));
  const stat = await io.stat(file);
  t.deepEqual(stat, { isFile: true, isDirectory: false, sizeBytes: 123, modifiedMs: fs.statSync(file).mtimeMs });
  const dirStat = await io.stat(dir);
  t.true(dirStat?.isDirectory === true && dirStat.isFile === false);
  t.is(await io.stat(path.join(dir, 'nothing')), null);
});

test('mkdirp creates parents and is idempotent; readdir lists names', async (t) => {
  const dir = tempDir(t);
  const nested = path.join(dir, 'a', 'b', 'c');
  await io.mkdirp(nested);
  await io.mkdirp(nested);
  t.true(fs.statSync(nested).isDirectory());
  fs.writeFileSync(path.join(nested, 'one'), '');
  fs.writeFileSync(path.join(nested, 'two'), '');
  t.deepEqual((await io.readdir(nested)).sort(), ['one', 'two']);
  await t.throwsAsync(io.readdir(path.join(dir, 'missing')), { code: 'ENOENT' });
});

test('rename replaces the target; unlink removes and fails on a missing file', async (t) => {
  const dir = tempDir(t);
  const source = path.join(dir, 'source');
  const target = path.join(dir, 'target');
  fs.writeFileSync(source, 'new');
  fs.writeFileSync(target, 'old');
  await io.rename(source, target);
  t.is(fs.readFileSync(target, 'utf8'), 'new');
  t.false(fs.existsSync(source));
  await io.unlink(target);
  t.false(fs.existsSync(target));
  await t.throwsAsync(io.unlink(target), { code: 'ENOENT' });
});

test('syncDir fsyncs a directory and passes through the error for a missing one', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'f'), 'x');
  await t.notThrowsAsync(io.syncDir(dir));
  await t.throwsAsync(io.syncDir(path.join(dir, 'missing')), { code: 'ENOENT' });
});

test('systemClock reads the monotonic clock in microseconds and never goes back', (t) => {
  const beforeMillis = performance.now();
  const nowMicros = systemClock.nowMicros();
  const afterMillis = performance.now();
  t.true(beforeMillis * 1000 <= nowMicros && nowMicros <= afterMillis * 1000, 'microseconds, not milliseconds');
  let previousMicros = systemClock.nowMicros();
  for (let i = 0; i < 10_000; i++) {
    const nextMicros = systemClock.nowMicros();
    if (nextMicros < previousMicros) t.fail(`went back from ${previousMicros} to ${nextMicros}`);
    previousMicros = nextMicros;
  }
  t.pass();
});
