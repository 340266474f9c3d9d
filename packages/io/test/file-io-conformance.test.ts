import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { fileIoSuite } from '@seglog/testkit';
import { nodeFileIO } from '../src/index.js';

// The same suite runs against SimFileIO in @seglog/testkit, so the two engines cannot drift apart.
fileIoSuite(
  test,
  async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'seglog-conformance-'));
    return { io: nodeFileIO, dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
  },
  'nodeFileIO',
);
