/**
 * wrapFileIO and wrapFileHandle pass every call through with all its arguments (the create modes
 * included) and the optional wake-up methods, and replace only what they are told to: the tests
 * and measuring devices built on them rely on both.
 */
import test from 'ava';
import { SimFileIO, wrapFileHandle, wrapFileIO } from '../src/index.js';

test('a wrapper with no overrides writes, reads, renames and keeps the create modes like the inner FileIO', async (t) => {
  const sim = new SimFileIO({ seed: 1 });
  const inner = wrapFileIO(sim, {});
  const modesSeen: unknown[] = [];
  const innerOpen = inner.open.bind(inner);
  inner.open = (path, mode, modes) => {
    modesSeen.push(modes);
    return innerOpen(path, mode, modes);
  };
  const io = wrapFileIO(inner, {});
  await io.mkdirp('/d');
  const file = await io.open('/d/a', 'create', { fileMode: 0o600 });
  await file.writev([new Uint8Array([1, 2, 3])], 0);
  await file.datasync();
  t.is(await file.sizeBytes(), 3);
  await file.close();
  await io.rename('/d/a', '/d/b');
  t.deepEqual(await io.readdir('/d'), ['b']);
  const back = await sim.open('/d/b', 'read');
  const bytes = new Uint8Array(3);
  t.is(await back.read(bytes, 0), 3);
  t.deepEqual([...bytes], [1, 2, 3]);
  await back.close();
  t.deepEqual(modesSeen, [{ fileMode: 0o600 }]);
  t.is(typeof io.watch, 'function', 'the optional watch of the inner FileIO is passed through');
});

test('wrapHandle sees each opened handle and its overrides replace only the calls named', async (t) => {
  const sim = new SimFileIO({ seed: 2 });
  const opened: string[] = [];
  let syncs = 0;
  const io = wrapFileIO(sim, {
    wrapHandle: (handle, path, mode) => {
      opened.push(`${path}:${mode}`);
      return wrapFileHandle(handle, {
        datasync: async () => {
          syncs++;
          await handle.datasync();
        },
      });
    },
    overrides: { syncDir: async () => {} },
  });
  await io.mkdirp('/d');
  const file = await io.open('/d/a', 'create');
  await file.writev([new Uint8Array([7])], 0);
  await file.datasync();
  await file.close();
  await io.syncDir('/d');
  t.deepEqual(opened, ['/d/a:create']);
  t.is(syncs, 1);
  t.is(file.path, '/d/a');
});

test('the optional synchronous calls of a handle are passed through when the inner handle has them', async (t) => {
  const sim = new SimFileIO({ seed: 3 });
  await sim.mkdirp('/d');
  const file = await sim.open('/d/a', 'create');
  await file.writev([new Uint8Array([1, 2, 3])], 0);
  const wrapped = wrapFileHandle(file, {});
  const buffer = new Uint8Array(5);
  t.is(wrapped.readSync?.(buffer, 1), 2, 'the simulated handle reads synchronously through the wrapper');
  t.deepEqual(buffer.subarray(0, 2), new Uint8Array([2, 3]));
  t.true(wrapped.isLinkedSync?.() ?? false);
  await sim.unlink('/d/a');
  t.false(wrapped.isLinkedSync?.() ?? true, 'the wrapper asks the inner handle each time');
  // A handle of an engine without them: the wrapper adds none, so readers take the async way.
  const bare = wrapFileHandle(file, {});
  delete bare.readSync;
  delete bare.isLinkedSync;
  const plain = wrapFileHandle(bare, {});
  t.false('readSync' in plain || 'isLinkedSync' in plain, 'no synchronous calls invented');
  await plain.close();
});
