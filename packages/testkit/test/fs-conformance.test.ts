import test from 'ava';
import { fileIoSuite, SimFileIO } from '../src/index.js';

// The simulator must behave like the real engine; packages/io runs the same suite on node:fs.
fileIoSuite(
  test,
  async () => {
    const io = new SimFileIO({ seed: 1 });
    await io.mkdirp('/conformance');
    return { io, dir: '/conformance', cleanup: async () => undefined };
  },
  'SimFileIO',
);

// A boot view (what crash tests hand to the store) must be the same engine until its boot ends.
fileIoSuite(
  test,
  async () => {
    const sim = new SimFileIO({ seed: 2 });
    await sim.mkdirp('/conformance');
    return { io: sim.boot(), dir: '/conformance', cleanup: async () => undefined };
  },
  'SimFileIO boot view',
);
