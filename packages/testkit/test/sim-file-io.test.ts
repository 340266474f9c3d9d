import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { SimFileIO } from '../src/index.js';
import type { CrashReport } from '../src/index.js';
import { bytesOf, rejectsWithCode, simWithDurableDir, textOf, writeDurable } from './support.js';

test('errors carry code, errno, syscall and path, worded as Node words them', async (t) => {
  const sim = new SimFileIO();
  const error = await rejectsWithCode(t, sim.open('/missing', 'read'), 'ENOENT');
  t.like(error, { errno: -2, syscall: 'open', path: '/missing' });
  t.is((error as Error).message, "ENOENT: no such file or directory, open '/missing'");
  await rejectsWithCode(t, sim.readdir('/missing'), 'ENOENT');
  await (await sim.open('/f', 'create')).close();
  await rejectsWithCode(t, sim.open('/f', 'create'), 'EEXIST');
  await rejectsWithCode(t, sim.open('/f/child', 'create'), 'ENOTDIR');
  await rejectsWithCode(t, sim.readdir('/f'), 'ENOTDIR');
  await rejectsWithCode(t, sim.open('/', 'read'), 'EISDIR');
  await rejectsWithCode(t, sim.unlink('/'), 'EISDIR');
  await rejectsWithCode(t, sim.mkdirp('/f'), 'EEXIST');
  await t.throwsAsync(sim.open('/f', 'append' as never), { instanceOf: TypeError });
});

test('paths are normalised: repeated slashes, dots and relative names reach the same file', async (t) => {
  const sim = new SimFileIO();
  await sim.mkdirp('/a/b');
  await (await sim.open('a//b/./f', 'create')).close();
  t.deepEqual(sim.listDir('/a/b/'), ['f']);
  t.is((await sim.stat('/a/x/../b/f'))?.isFile, true);
});

test('rename follows rename(2) for directories', async (t) => {
  const sim = new SimFileIO();
  await sim.mkdirp('/a/inner');
  await sim.mkdirp('/full/x');
  await (await sim.open('/file', 'create')).close();
  await rejectsWithCode(t, sim.rename('/file', '/a'), 'EISDIR');
  await rejectsWithCode(t, sim.rename('/a', '/file'), 'ENOTDIR');
  await rejectsWithCode(t, sim.rename('/a', '/full'), 'ENOTEMPTY');
  await rejectsWithCode(t, sim.rename('/a', '/a/inner/deeper'), 'EINVAL');
  await sim.rename('/a', '/b');
  await sim.rename('/file', '/file');
  t.deepEqual(sim.listDir('/'), ['b', 'file', 'full']);
  t.deepEqual(sim.listDir('/b'), ['inner']);
});

test('a crash invalidates every handle opened before it; new opens work', async (t) => {
  const sim = await simWithDurableDir(1);
  const handle = await writeDurable(sim, '/d/f', bytesOf('x'));
  sim.crash();
  await rejectsWithCode(t, handle.read(new Uint8Array(1), 0), 'EBADF');
  await rejectsWithCode(t, handle.writev([bytesOf('y')], 0), 'EBADF');
  await rejectsWithCode(t, handle.datasync(), 'EBADF');
  await rejectsWithCode(t, handle.sizeBytes(), 'EBADF');
  await rejectsWithCode(t, handle.close(), 'EBADF');
  const reopened = await sim.open('/d/f', 'write');
  await reopened.writev([bytesOf('z')], 1);
  t.is(textOf(sim.readFileSync('/d/f')), 'xz');
});

test('calls in flight when power is lost reject with EBADF and take no effect', async (t) => {
  const sim = await simWithDurableDir(1);
  const handle = await writeDurable(sim, '/d/f', bytesOf('x'));
  const write = handle.writev([bytesOf('never')], 1);
  const create = sim.open('/d/g', 'create');
  const mkdir = sim.mkdirp('/d/sub');
  const syncDir = sim.syncDir('/d');
  sim.crash({ unsynced: 'keep' });
  await rejectsWithCode(t, write, 'EBADF');
  await rejectsWithCode(t, create, 'EBADF');
  await rejectsWithCode(t, mkdir, 'EBADF');
  await rejectsWithCode(t, syncDir, 'EBADF');
  t.deepEqual(sim.listDir('/d'), ['f']);
  t.is(textOf(sim.readFileSync('/d/f')), 'x');
});

test('lock: a second lock fails until release; a crash releases every lock', async (t) => {
  const sim = await simWithDurableDir(1);
  const first = await sim.lock('/d');
  const error = await t.throwsAsync(sim.lock('/d/'));
  t.true(isSeglogError(error, 'SEGLOG_LOCKED'));
  await rejectsWithCode(t, sim.lock('/missing'), 'ENOENT');
  sim.crash();
  const afterReboot = await sim.lock('/d');
  await first.release();
  t.true(isSeglogError(await t.throwsAsync(sim.lock('/d')), 'SEGLOG_LOCKED'), "a stale DirLock cannot release its successor's lock");
  await afterReboot.release();
  await (await sim.lock('/d')).release();
});

test('writev copies its buffers when called, as the kernel copies at the system call', async (t) => {
  const sim = new SimFileIO();
  const handle = await sim.open('/f', 'create');
  const buffer = bytesOf('abc');
  const write = handle.writev([buffer], 0);
  buffer.fill(0);
  await write;
  t.is(textOf(sim.readFileSync('/f')), 'abc');
});

test('corrupt overwrites durable and volatile bytes; out of range is a TypeError', async (t) => {
  const sim = await simWithDurableDir(1);
  await (await writeDurable(sim, '/d/f', bytesOf('abcdef'))).close();
  sim.corrupt('/d/f', 2, bytesOf('XY'));
  t.is(textOf(sim.readFileSync('/d/f')), 'abXYef');
  t.is(textOf(sim.durableSnapshot().get('/d/f')!), 'abXYef');
  t.throws(() => sim.corrupt('/d/f', 5, bytesOf('XY')), { instanceOf: TypeError });
  t.throws(() => sim.corrupt('/d/missing', 0, bytesOf('X')), { message: /ENOENT/ });
});

test('counters count successful calls and bytes', async (t) => {
  const sim = await simWithDurableDir(1);
  const handle = await writeDurable(sim, '/d/f', bytesOf('abc'));
  await handle.writev([bytesOf('de'), bytesOf('f')], 3);
  await handle.sync();
  sim.crash();
  t.deepEqual(sim.counters, {
    reorderedCompletions: 0,
    writes: 2,
    datasyncs: 1,
    syncs: 1,
    datasyncCalls: 1,
    syncCalls: 1,
    syncDirs: 2,
    bytesWritten: 6,
    crashes: 1,
  });
});

/** A small workload with unsynced writes, renames and creations, then a crash. */
async function runWorkload(seed: number): Promise<{ report: CrashReport; files: Map<string, Uint8Array> }> {
  const sim = await simWithDurableDir(seed);
  const handle = await writeDurable(sim, '/d/log', sim.prng.bytes(3000));
  for (let i = 0; i < 8; i++) await handle.writev([sim.prng.bytes(sim.prng.int(1, 1500))], sim.prng.int(0, 6000));
  await writeDurable(sim, '/d/tmp', bytesOf('meta'));
  await sim.rename('/d/tmp', '/d/meta');
  const report = sim.crash();
  return { report, files: sim.durableSnapshot() };
}

test('the same seed gives the same crash; other seeds give other ones', async (t) => {
  const first = await runWorkload(42);
  t.deepEqual(await runWorkload(42), first);
  const others = await Promise.all([43, 44, 45, 46].map(runWorkload));
  t.true(others.some((other) => JSON.stringify(other.report) !== JSON.stringify(first.report)));
  t.true(others.some((other) => !Buffer.from(other.files.get('/d/log')!).equals(first.files.get('/d/log')!)));
});
