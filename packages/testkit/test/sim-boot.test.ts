import test from 'ava';
import { bytesOf, rejectsWithCode, simWithDurableDir, textOf, writeDurable } from './support.js';

test('a boot view works like the simulator until the next crash', async (t) => {
  const sim = await simWithDurableDir(1);
  const io = sim.boot();
  t.is(io.epoch, 0);
  t.true(io.live);
  const handle = await io.open('/d/f', 'create');
  await handle.writev([bytesOf('hello')], 0);
  await handle.datasync();
  await io.syncDir('/d');
  t.deepEqual(await io.readdir('/d'), ['f']);
  t.is((await io.stat('/d/f'))?.sizeBytes, 5);
  t.is(textOf(sim.readFileSync('/d/f')), 'hello');
});

test('after a crash every call through an older boot rejects ESHUTDOWN and takes no effect', async (t) => {
  const sim = await simWithDurableDir(2);
  const old = sim.boot();
  await writeDurable(sim, '/d/kept', bytesOf('kept'));
  t.is(sim.crash().epoch, 1);
  t.false(old.live);
  await rejectsWithCode(t, old.open('/d/new', 'create'), 'ESHUTDOWN');
  await rejectsWithCode(t, old.open('/d/kept', 'truncate'), 'ESHUTDOWN');
  await rejectsWithCode(t, old.mkdirp('/d/sub'), 'ESHUTDOWN');
  await rejectsWithCode(t, old.rename('/d/kept', '/d/moved'), 'ESHUTDOWN');
  await rejectsWithCode(t, old.unlink('/d/kept'), 'ESHUTDOWN');
  await rejectsWithCode(t, old.syncDir('/d'), 'ESHUTDOWN');
  await rejectsWithCode(t, old.readdir('/d'), 'ESHUTDOWN');
  await rejectsWithCode(t, old.stat('/d/kept'), 'ESHUTDOWN');
  await rejectsWithCode(t, old.lock('/d'), 'ESHUTDOWN');
  t.deepEqual(sim.listDir('/d'), ['kept'], 'no call of the dead boot reached the disk');
  t.is(textOf(sim.readFileSync('/d/kept')), 'kept');
  const fresh = sim.boot();
  t.is(fresh.epoch, 1);
  await (await fresh.open('/d/new', 'create')).close();
  t.deepEqual(sim.listDir('/d'), ['kept', 'new']);
});

test('a call started through a view just before the crash dies with EBADF; handles of the boot die too', async (t) => {
  const sim = await simWithDurableDir(3);
  const io = sim.boot();
  const handle = await io.open('/d/f', 'create');
  const inFlight = io.rename('/d/f', '/d/g');
  const write = handle.writev([bytesOf('x')], 0);
  sim.crash();
  await rejectsWithCode(t, inFlight, 'EBADF');
  await rejectsWithCode(t, write, 'EBADF');
  await rejectsWithCode(t, handle.datasync(), 'EBADF');
  t.deepEqual(sim.listDir('/d'), []);
});

test('a lock taken through a dead boot neither blocks the new boot nor releases its lock', async (t) => {
  const sim = await simWithDurableDir(4);
  const oldLock = await sim.boot().lock('/d');
  sim.crash();
  const io = sim.boot();
  const lock = await io.lock('/d');
  await oldLock.release();
  const error = await t.throwsAsync(io.lock('/d'));
  t.is((error as { code?: string }).code, 'SEGLOG_LOCKED', 'the old boot releasing its lock did not free the new one');
  await lock.release();
  await (await io.lock('/d')).release();
});
