import test from 'ava';
import { Prng, SimFileIO } from '../src/index.js';
import { bytesOf, replay, seedsFor, simWithDurableDir, textOf, writeDurable } from './support.js';

test('a synced write survives every crash, whatever happens to unsynced writes next to it', async (t) => {
  for (const seed of seedsFor(200)) {
    const sim = await simWithDurableDir(seed);
    const synced = sim.prng.bytes(1000);
    const handle = await writeDurable(sim, '/d/f', synced);
    // Unsynced writes right after the synced bytes (sharing their sector) and further on.
    await handle.writev([sim.prng.bytes(700)], 1000);
    await handle.writev([sim.prng.bytes(300)], 5000);
    sim.crash();
    const after = sim.readFileSync('/d/f');
    t.deepEqual(after.subarray(0, 1000), synced, replay(seed));
  }
});

test('unsynced writes are lost when the crash drops them and kept when it keeps them', async (t) => {
  const fates = new Set<string>();
  const seeds = seedsFor(60);
  for (const seed of seeds) {
    const sim = await simWithDurableDir(seed);
    const handle = await writeDurable(sim, '/d/f', bytesOf('synced;'));
    await handle.writev([bytesOf('unsynced')], 7);
    const { files } = sim.crash();
    const { fate, opsUnsynced, opsPersisted, opsTorn, opsDropped } = files[0]!;
    fates.add(fate);
    t.deepEqual([opsUnsynced, opsPersisted + opsTorn + opsDropped], [1, 1], replay(seed));
    t.true(textOf(sim.readFileSync('/d/f')).startsWith('synced;'), replay(seed));
    if (fate === 'drop') t.is(textOf(sim.readFileSync('/d/f')), 'synced;', replay(seed));
    if (fate === 'keep') t.is(textOf(sim.readFileSync('/d/f')), 'synced;unsynced', replay(seed));
  }
  if (seeds.length > 1) t.deepEqual([...fates].sort(), ['drop', 'keep', 'random'], 'the PRNG chooses every fate over 60 seeds');
});

test('a forced fate applies to every file', async (t) => {
  const sim = await simWithDurableDir(1);
  const first = await writeDurable(sim, '/d/a', bytesOf('a'));
  const second = await writeDurable(sim, '/d/b', bytesOf('b'));
  await first.writev([bytesOf('A')], 1);
  await second.writev([bytesOf('B')], 1);
  const report = sim.crash({ unsynced: 'keep' });
  t.deepEqual(report.files.map((file) => [file.path, file.fate, file.opsPersisted]), [['/d/a', 'keep', 1], ['/d/b', 'keep', 1]]);
  t.deepEqual([textOf(sim.readFileSync('/d/a')), textOf(sim.readFileSync('/d/b'))], ['aA', 'bB']);
  const again = await sim.open('/d/a', 'write');
  await again.writev([bytesOf('lost')], 0);
  sim.crash({ prng: new Prng(5), unsynced: 'drop' });
  t.is(textOf(sim.readFileSync('/d/a')), 'aA');
});

test('a file created without syncDir disappears at a crash, even when its data was synced', async (t) => {
  const sim = await simWithDurableDir(1);
  const handle = await sim.open('/d/f', 'create');
  await handle.writev([bytesOf('data')], 0);
  await handle.datasync();
  await handle.sync();
  sim.crash();
  t.is(await sim.stat('/d/f'), null);
  t.deepEqual(sim.listDir('/d'), []);
});

test('a file created with syncDir persists; its unsynced bytes may not', async (t) => {
  const sim = await simWithDurableDir(1);
  const handle = await sim.open('/d/f', 'create');
  await sim.syncDir('/d');
  await handle.writev([bytesOf('data')], 0);
  sim.crash({ unsynced: 'drop' });
  t.deepEqual(await sim.stat('/d/f'), { isFile: true, isDirectory: false, sizeBytes: 0 });
});

test('a directory made by mkdirp is lost unless its parent is synced', async (t) => {
  const sim = new SimFileIO({ seed: 1 });
  await sim.mkdirp('/a/b');
  await sim.syncDir('/a');
  sim.crash();
  t.is(await sim.stat('/a'), null);
  await sim.mkdirp('/a/b');
  await sim.syncDir('/');
  await sim.syncDir('/a');
  sim.crash();
  t.is((await sim.stat('/a/b'))?.isDirectory, true);
});

test('rename without syncDir reverts at a crash; with syncDir it persists', async (t) => {
  const sim = await simWithDurableDir(1);
  await (await writeDurable(sim, '/d/tmp', bytesOf('new'))).close();
  await (await writeDurable(sim, '/d/target', bytesOf('old'))).close();
  await sim.rename('/d/tmp', '/d/target');
  t.is(textOf(sim.readFileSync('/d/target')), 'new');
  sim.crash();
  t.deepEqual(sim.listDir('/d'), ['target', 'tmp']);
  t.is(textOf(sim.readFileSync('/d/target')), 'old');
  await sim.rename('/d/tmp', '/d/target');
  await sim.syncDir('/d');
  sim.crash();
  t.deepEqual(sim.listDir('/d'), ['target']);
  t.is(textOf(sim.readFileSync('/d/target')), 'new');
});

test('a rename across directories is durable per directory synced', async (t) => {
  const sim = await simWithDurableDir(1);
  await sim.mkdirp('/e');
  await sim.syncDir('/');
  await (await writeDurable(sim, '/d/f', bytesOf('x'))).close();
  await sim.rename('/d/f', '/e/f');
  await sim.syncDir('/e');
  sim.crash();
  // The source directory was not synced, so its old entry is still there too.
  t.deepEqual([sim.listDir('/d'), sim.listDir('/e')], [['f'], ['f']]);
});

test('unlink without syncDir comes back at a crash', async (t) => {
  const sim = await simWithDurableDir(1);
  await (await writeDurable(sim, '/d/f', bytesOf('x'))).close();
  await sim.unlink('/d/f');
  sim.crash();
  t.is(textOf(sim.readFileSync('/d/f')), 'x');
  await sim.unlink('/d/f');
  await sim.syncDir('/d');
  sim.crash();
  t.is(await sim.stat('/d/f'), null);
});

test('an unsynced truncate may be lost; a synced one is not', async (t) => {
  const sim = await simWithDurableDir(1);
  const handle = await writeDurable(sim, '/d/f', bytesOf('abcdef'));
  await handle.truncate(2);
  sim.crash({ unsynced: 'drop' });
  t.is(textOf(sim.readFileSync('/d/f')), 'abcdef');
  const again = await sim.open('/d/f', 'write');
  await again.truncate(2);
  await again.datasync();
  sim.crash();
  t.is(textOf(sim.readFileSync('/d/f')), 'ab');
});

test('the durable snapshot holds what a drop-everything crash leaves', async (t) => {
  const sim = await simWithDurableDir(1);
  const handle = await writeDurable(sim, '/d/f', bytesOf('kept'));
  await handle.writev([bytesOf('-maybe')], 4);
  await (await sim.open('/d/unsynced-name', 'create')).close();
  const snapshot = sim.durableSnapshot();
  t.deepEqual([...snapshot.keys()], ['/d/f']);
  sim.crash({ unsynced: 'drop' });
  t.deepEqual(sim.readFileSync('/d/f'), snapshot.get('/d/f'));
});

test('a write through a write-dsync handle is durable when it resolves; one through write is not', async (t) => {
  for (const seed of seedsFor(40)) {
    const sim = await simWithDurableDir(seed);
    await writeDurable(sim, '/d/f', bytesOf('..........'));
    const dsync = await sim.open('/d/f', 'write-dsync');
    await dsync.writev([bytesOf('dsync')], 0);
    const plain = await sim.open('/d/f', 'write');
    await plain.writev([bytesOf('plain')], 5);
    sim.crash({ prng: new Prng(seed), unsynced: 'drop' });
    t.is(textOf(sim.readFileSync('/d/f')), 'dsync.....', replay(seed));
  }
});

test('a failed flush fails the write-dsync write, with fsyncgate semantics', async (t) => {
  const sim = await simWithDurableDir(3);
  await writeDurable(sim, '/d/f', bytesOf('0123456789'));
  const dsync = await sim.open('/d/f', 'write-dsync');
  sim.faults.failNext('datasync', { code: 'EIO' });
  const error = await t.throwsAsync(dsync.writev([bytesOf('XY')], 0));
  t.is((error as NodeJS.ErrnoException).code, 'EIO');
  // As after a failed fdatasync on Linux, the pages are clean and the bytes may never reach the
  // disk: after a crash either the old or the new bytes are there, nothing else.
  sim.crash({ prng: new Prng(3), unsynced: 'drop' });
  t.true(['0123456789', 'XY23456789'].includes(textOf(sim.readFileSync('/d/f'))), textOf(sim.readFileSync('/d/f')));
});
