import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { nodeFileIO } from '@seglog/io';
import { isSeglogError } from '@seglog/types';
import { listenUnixSocket, socketPathBytesMax } from '../src/index.js';

function connected(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

test('the owner socket: a dead leftover is replaced, a live one refused, close ends every connection', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seglog-socket-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'owner.sock');
  await writeFile(path, 'left by an owner that died');
  const accepted: Socket[] = [];
  const server = await listenUnixSocket(path, nodeFileIO, (socket) => accepted.push(socket));
  const client = await connected(path);
  t.is(accepted.length, 1, 'the leftover file was replaced by a listening socket');
  const second = await t.throwsAsync(listenUnixSocket(path, nodeFileIO, () => undefined));
  t.true(isSeglogError(second, 'SEGLOG_IO'), 'a socket that still answers is not stolen');
  const ended = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await server.close();
  await ended;
  t.is(server.close(), server.close(), 'close is idempotent');
  const bad = await t.throwsAsync(listenUnixSocket(join(dir, 'x'.repeat(socketPathBytesMax)), nodeFileIO, () => undefined));
  t.true(isSeglogError(bad, 'SEGLOG_INVALID_OPTION'));
});
