/**
 * One job: the behaviour every FileIO implementation must share, as a suite of tests that any
 * test runner with an ava-like `test(title, fn)` can register: run against nodeFileIO in a temp
 * directory and against SimFileIO, so the simulator cannot drift from the disk it stands in for.
 * It checks what both promise (open modes, Node error codes, positioned writes and reads, sizes,
 * rename, readdir, stat, unlink, the directory lock, the watch's hints), not durability, which only the simulator can
 * show (its own tests do that).
 */
import type { FileHandle, FileIO } from '@seglog/types';
import { errorCode } from './sim-errors.js';

/** The few assertions the suite needs; ava's ExecutionContext fits. */
export interface ExecutionContextLike {
  is(actual: unknown, expected: unknown, message?: string): unknown;
  deepEqual(actual: unknown, expected: unknown, message?: string): unknown;
  true(actual: boolean, message?: string): unknown;
}

export type TestRegistrar = (title: string, fn: (t: ExecutionContextLike) => Promise<void>) => void;

/** A fresh FileIO and an existing empty directory in it, per test. */
export interface FileIoFixture {
  readonly io: FileIO;
  readonly dir: string;
  cleanup(): Promise<void>;
}

type Case = (t: ExecutionContextLike, io: FileIO, dir: string) => Promise<void>;

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

async function rejectsWith(t: ExecutionContextLike, promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    t.is(errorCode(error), code, `rejects with ${code}`);
    return;
  }
  t.true(false, `expected a rejection with ${code}, but the call resolved`);
}

async function readAll(handle: FileHandle): Promise<Uint8Array> {
  const buffer = new Uint8Array(await handle.sizeBytes());
  const readBytes = await handle.read(buffer, 0);
  return buffer.subarray(0, readBytes);
}

function throwsWith(t: ExecutionContextLike, run: () => unknown, code: string): void {
  try {
    run();
  } catch (error) {
    t.is(errorCode(error), code, `throws ${code}`);
    return;
  }
  t.true(false, `expected a throw with ${code}, but the call returned`);
}

/** The handle's readSync: both engines the suite runs against have it. */
type ReadSync = (buffer: Uint8Array, positionBytes: number) => number;

function syncReader(t: ExecutionContextLike, handle: FileHandle): ReadSync {
  const readSync = handle.readSync?.bind(handle);
  if (readSync === undefined) {
    t.true(false, 'the engine has readSync');
    return () => 0;
  }
  return readSync;
}

async function writeFile(io: FileIO, path: string, text: string): Promise<void> {
  const handle = await io.open(path, 'truncate');
  await handle.writev([bytesOf(text)], 0);
  await handle.close();
}

async function readFile(io: FileIO, path: string): Promise<string> {
  const handle = await io.open(path, 'read');
  const bytes = await readAll(handle);
  await handle.close();
  return new TextDecoder().decode(bytes);
}

const cases: Record<string, Case> = {
  'open read and write need an existing file (ENOENT)': async (t, io, dir) => {
    await rejectsWith(t, io.open(`${dir}/missing`, 'read'), 'ENOENT');
    await rejectsWith(t, io.open(`${dir}/missing`, 'write'), 'ENOENT');
    await rejectsWith(t, io.open(`${dir}/missing`, 'write-dsync'), 'ENOENT');
    await rejectsWith(t, io.open(`${dir}/no-such-dir/file`, 'create'), 'ENOENT');
    t.is(await io.stat(`${dir}/missing`), null, 'a failed open creates nothing');
  },
  'open create makes an empty file, and EEXIST when one exists': async (t, io, dir) => {
    const handle = await io.open(`${dir}/a`, 'create');
    t.is(await handle.sizeBytes(), 0);
    await handle.close();
    await rejectsWith(t, io.open(`${dir}/a`, 'create'), 'EEXIST');
  },
  'open truncate creates a missing file and empties an existing one': async (t, io, dir) => {
    await writeFile(io, `${dir}/a`, 'hello');
    t.is(await readFile(io, `${dir}/a`), 'hello');
    const handle = await io.open(`${dir}/a`, 'truncate');
    t.is(await handle.sizeBytes(), 0);
    await handle.close();
  },
  'writev and read round-trip at positions, with zeros in the gaps': async (t, io, dir) => {
    const handle = await io.open(`${dir}/a`, 'create');
    await handle.writev([bytesOf('head')], 0);
    await handle.writev([bytesOf('tail')], 10_000);
    t.is(await handle.sizeBytes(), 10_004);
    const bytes = await readAll(handle);
    t.deepEqual(bytes.subarray(0, 4), bytesOf('head'));
    t.true(bytes.subarray(4, 10_000).every((byte) => byte === 0), 'the gap reads as zeros');
    t.deepEqual(bytes.subarray(10_000), bytesOf('tail'));
    await handle.writev([bytesOf('HE')], 0);
    t.deepEqual((await readAll(handle)).subarray(0, 4), bytesOf('HEad'), 'an overwrite changes only its bytes');
    await handle.close();
  },
  'write-dsync opens an existing file for positioned writes that read back like any other': async (t, io, dir) => {
    await writeFile(io, `${dir}/a`, 'hello world');
    const handle = await io.open(`${dir}/a`, 'write-dsync');
    await handle.writev([bytesOf('HE'), bytesOf('LLO')], 0);
    await handle.writev([bytesOf('!')], 11);
    t.is(new TextDecoder().decode(await readAll(handle)), 'HELLO world!');
    await handle.datasync();
    await handle.close();
    t.is(await readFile(io, `${dir}/a`), 'HELLO world!');
  },
  'writev writes several buffers in order, as one run': async (t, io, dir) => {
    const handle = await io.open(`${dir}/a`, 'create');
    await handle.writev([bytesOf('ab'), new Uint8Array(0), bytesOf('cde'), bytesOf('f')], 3);
    const bytes = await readAll(handle);
    t.deepEqual(bytes, new Uint8Array([0, 0, 0, ...bytesOf('abcdef')]));
    await handle.close();
  },
  'read past the end returns 0; a read across the end returns what is there': async (t, io, dir) => {
    await writeFile(io, `${dir}/a`, 'abcdef');
    const handle = await io.open(`${dir}/a`, 'read');
    const buffer = new Uint8Array(10);
    t.is(await handle.read(buffer, 6), 0);
    t.is(await handle.read(buffer, 100), 0);
    t.is(await handle.read(buffer, 4), 2);
    t.deepEqual(buffer.subarray(0, 2), bytesOf('ef'));
    await handle.close();
  },
  'truncate shrinks, and grows with zeros': async (t, io, dir) => {
    const handle = await io.open(`${dir}/a`, 'create');
    await handle.writev([bytesOf('abcdef')], 0);
    await handle.truncate(2);
    t.deepEqual(await readAll(handle), bytesOf('ab'));
    await handle.truncate(5);
    t.deepEqual(await readAll(handle), new Uint8Array([...bytesOf('ab'), 0, 0, 0]));
    await handle.close();
  },
  'a read-only handle rejects writev with EBADF': async (t, io, dir) => {
    await writeFile(io, `${dir}/a`, 'abc');
    const handle = await io.open(`${dir}/a`, 'read');
    await rejectsWith(t, handle.writev([bytesOf('x')], 0), 'EBADF');
    await handle.close();
    t.is(await readFile(io, `${dir}/a`), 'abc');
  },
  'readSync reads as read does, on the calling thread': async (t, io, dir) => {
    await writeFile(io, `${dir}/a`, 'abcdef');
    const handle = await io.open(`${dir}/a`, 'read');
    const readSync = syncReader(t, handle);
    const buffer = new Uint8Array(10);
    t.is(readSync(buffer, 1), 5);
    t.deepEqual(buffer.subarray(0, 5), bytesOf('bcdef'));
    t.is(readSync(buffer, 6), 0, 'nothing at the end');
    await handle.close();
    throwsWith(t, () => readSync(buffer, 0), 'EBADF');
  },
  'isLinkedSync turns false when the file loses its last name, not when it moves': async (t, io, dir) => {
    await writeFile(io, `${dir}/head`, 'one');
    const replaced = await io.open(`${dir}/head`, 'read');
    const moved = await io.open(`${dir}/head`, 'read');
    const linked = (handle: FileHandle): boolean => {
      if (handle.isLinkedSync === undefined) return t.true(false, 'the engine has isLinkedSync') as never;
      return handle.isLinkedSync();
    };
    t.true(linked(replaced));
    await io.rename(`${dir}/head`, `${dir}/elsewhere`);
    t.true(linked(moved), 'a renamed file still has a name');
    await writeFile(io, `${dir}/next`, 'two');
    await io.rename(`${dir}/next`, `${dir}/elsewhere`);
    t.true(!linked(replaced), 'replaced by a rename over it');
    await writeFile(io, `${dir}/gone`, 'three');
    const unlinked = await io.open(`${dir}/gone`, 'read');
    await io.unlink(`${dir}/gone`);
    t.true(!linked(unlinked), 'unlinked');
    const buffer = new Uint8Array(8);
    t.is(syncReader(t, unlinked)(buffer, 0), 5, 'an unlinked file open still reads');
    for (const handle of [replaced, moved, unlinked]) await handle.close();
  },
  'a closed handle rejects with EBADF, and closing twice is harmless': async (t, io, dir) => {
    const handle = await io.open(`${dir}/a`, 'create');
    await handle.close();
    await rejectsWith(t, handle.read(new Uint8Array(1), 0), 'EBADF');
    await rejectsWith(t, handle.writev([bytesOf('x')], 0), 'EBADF');
    await rejectsWith(t, handle.datasync(), 'EBADF');
    await handle.close();
    t.is((await io.stat(`${dir}/a`))?.sizeBytes, 0);
  },
  'rename moves a file and replaces the target': async (t, io, dir) => {
    await writeFile(io, `${dir}/source`, 'new');
    await writeFile(io, `${dir}/target`, 'old contents');
    await io.rename(`${dir}/source`, `${dir}/target`);
    t.is(await io.stat(`${dir}/source`), null);
    t.is(await readFile(io, `${dir}/target`), 'new');
    await rejectsWith(t, io.rename(`${dir}/source`, `${dir}/other`), 'ENOENT');
  },
  'readdir lists names, not paths; a missing directory is ENOENT': async (t, io, dir) => {
    await io.mkdirp(`${dir}/d/sub`);
    await writeFile(io, `${dir}/d/one`, '1');
    await writeFile(io, `${dir}/d/two`, '2');
    t.deepEqual((await io.readdir(`${dir}/d`)).sort(), ['one', 'sub', 'two']);
    t.deepEqual(await io.readdir(`${dir}/d/sub`), []);
    await rejectsWith(t, io.readdir(`${dir}/missing`), 'ENOENT');
  },
  'stat is null when missing and reports kind and size': async (t, io, dir) => {
    t.is(await io.stat(`${dir}/missing`), null);
    await writeFile(io, `${dir}/a`, 'abcde');
    const file = await io.stat(`${dir}/a`);
    const expected = { isFile: true, isDirectory: false, sizeBytes: 5, modifiedMs: undefined };
    t.deepEqual({ ...file, modifiedMs: undefined }, expected);
    // modifiedMs is optional (retention's age for v1 segments); when given, it is the wall clock of the write.
    if (file?.modifiedMs !== undefined) t.true(Math.abs(file.modifiedMs - Date.now()) < 60_000, `mtime ${file.modifiedMs}`);
    const stat = await io.stat(dir);
    t.deepEqual([stat?.isFile, stat?.isDirectory], [false, true]);
  },
  'unlink removes a name, an open handle still reads, and a missing name is ENOENT': async (t, io, dir) => {
    await writeFile(io, `${dir}/a`, 'still here');
    const handle = await io.open(`${dir}/a`, 'read');
    await io.unlink(`${dir}/a`);
    t.is(await io.stat(`${dir}/a`), null);
    t.deepEqual(await readAll(handle), bytesOf('still here'));
    await handle.close();
    await rejectsWith(t, io.unlink(`${dir}/a`), 'ENOENT');
  },
  'mkdirp creates parents and is idempotent': async (t, io, dir) => {
    await io.mkdirp(`${dir}/x/y/z`);
    await io.mkdirp(`${dir}/x/y/z`);
    t.is((await io.stat(`${dir}/x/y/z`))?.isDirectory, true);
    t.deepEqual(await io.readdir(`${dir}/x`), ['y']);
  },
  'datasync, sync and syncDir resolve and change nothing visible': async (t, io, dir) => {
    const handle = await io.open(`${dir}/a`, 'create');
    await handle.writev([bytesOf('abc')], 0);
    await handle.datasync();
    await handle.sync();
    await io.syncDir(dir);
    t.deepEqual(await readAll(handle), bytesOf('abc'));
    await handle.close();
    await rejectsWith(t, io.syncDir(`${dir}/missing`), 'ENOENT');
  },
  'lock: a second lock is SEGLOG_LOCKED until the first is released': async (t, io, dir) => {
    await io.mkdirp(`${dir}/locked`);
    const first = await io.lock(`${dir}/locked`);
    await rejectsWith(t, io.lock(`${dir}/locked`), 'SEGLOG_LOCKED');
    await first.release();
    const second = await io.lock(`${dir}/locked`);
    await rejectsWith(t, io.lock(`${dir}/locked`), 'SEGLOG_LOCKED');
    await second.release();
  },

  'watch hints at writes, creations and unlinks in the directory, and close stops it': async (t, io, dir) => {
    if (io.watch === undefined) {
      t.true(true, 'this FileIO offers no watch (it is optional)');
      return;
    }
    let hints = 0;
    const watch = io.watch(dir, () => hints++);
    t.true(watch !== null, 'the directory can be watched');
    const settle = async (): Promise<void> => {
      for (let turn = 0; turn < 200 && hints === 0; turn++) await new Promise((resolve) => setTimeout(resolve, 5));
    };
    const handle = await io.open(`${dir}/watched`, 'create');
    await handle.writev([bytesOf('hello')], 0);
    await settle();
    t.true(hints > 0, 'a creation and a write woke the watch');
    await handle.close();
    hints = 0;
    await io.unlink(`${dir}/watched`);
    await settle();
    t.true(hints > 0, 'an unlink woke the watch');
    watch!.close();
    watch!.close(); // idempotent
    await new Promise((resolve) => setTimeout(resolve, 20));
    hints = 0;
    await (await io.open(`${dir}/after`, 'create')).close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.is(hints, 0, 'nothing after close');
  },
};

/** Registers every conformance case; each gets its own fixture from `makeIo`, cleaned up after. */
export function fileIoSuite(test: TestRegistrar, makeIo: () => Promise<FileIoFixture>, name = 'FileIO'): void {
  for (const [title, body] of Object.entries(cases)) {
    test(`${name} conformance: ${title}`, async (t) => {
      const fixture = await makeIo();
      try {
        await body(t, fixture.io, fixture.dir);
      } finally {
        await fixture.cleanup();
      }
    });
  }
}
