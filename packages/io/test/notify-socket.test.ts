/**
 * The writer's push wake-up socket (notify-socket.ts): pokes reach subscribers and never fail
 * the writer; stale files from a killed writer are replaced; no socket where one
 * cannot be made; the subscriber bound; close removes the file and ends the subscriptions.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { limits } from '@seglog/types';
import type { NotifySubscription } from '@seglog/types';
import { nodeFileIO } from '../src/index.js';
import { exited, firstLine, sourceIndexUrl, spawnModuleScript, tempDir } from './support.js';

const until = async (condition: () => boolean, what: string): Promise<void> => {
  for (let attempt = 0; !condition(); attempt++) {
    if (attempt > 2000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

interface Probe {
  hints: number;
  ended: boolean;
  subscription: NotifySubscription;
}

function subscribe(socketPath: string): Probe {
  const probe: Probe = { hints: 0, ended: false, subscription: { close: () => undefined } };
  probe.subscription = nodeFileIO.notifySubscribe(
    socketPath,
    () => probe.hints++,
    () => (probe.ended = true),
  );
  return probe;
}

test('a poke reaches every subscriber; close removes the socket and ends them', async (t) => {
  const socketPath = path.join(tempDir(t), 'notify.sock');
  const publisher = await nodeFileIO.notifyListen(socketPath, { fileMode: 0o600 });
  t.truthy(publisher);
  t.is(fs.statSync(socketPath).mode & 0o777, 0o600);
  const first = subscribe(socketPath);
  const second = subscribe(socketPath);
  await until(() => publisher!.subscribers === 2 && first.hints >= 1 && second.hints >= 1, 'both connected');
  const before = first.hints;
  publisher!.poke();
  await until(() => first.hints > before && second.hints > before - 1, 'the poke');
  t.true(first.hints > before);
  await publisher!.close();
  await publisher!.close(); // idempotent
  await until(() => first.ended && second.ended, 'the subscriptions to end');
  t.false(fs.existsSync(socketPath), 'close removed the socket file');
  publisher!.poke(); // after close: nothing, no throw
});

test('a socket file left by a SIGKILLed writer: subscribers are refused (onEnd), and the next writer replaces it', async (t) => {
  const socketPath = path.join(tempDir(t), 'notify.sock');
  const child = spawnModuleScript(
    t,
    `import { nodeFileIO } from ${JSON.stringify(sourceIndexUrl)};
     const publisher = await nodeFileIO.notifyListen(${JSON.stringify(socketPath)});
     console.log(publisher === null ? 'none' : 'listening');
     setInterval(() => {}, 1 << 30);`,
  );
  t.is(await firstLine(child), 'listening');
  child.kill('SIGKILL');
  await exited(child);
  t.true(fs.lstatSync(socketPath).isSocket(), 'the killed writer left its socket file');
  const stale = subscribe(socketPath);
  await until(() => stale.ended, 'the refused connect');
  t.is(stale.hints, 0);
  const publisher = await nodeFileIO.notifyListen(socketPath);
  t.truthy(publisher, 'the stale file was replaced');
  const fresh = subscribe(socketPath);
  await until(() => publisher!.subscribers === 1, 'the new subscriber');
  publisher!.poke();
  await until(() => fresh.hints >= 2, 'a poke from the new writer');
  fresh.subscription.close();
  await until(() => publisher!.subscribers === 0, 'the writer to see the follower leave');
  t.false(fresh.ended, 'close() of a subscription calls no onEnd');
  await publisher!.close();
});

test('no socket where none can be made: a path longer than sun_path, a missing directory, a regular file in the way', async (t) => {
  const dir = tempDir(t);
  const long = path.join(dir, 'd'.repeat(120), 'notify.sock');
  t.is(await nodeFileIO.notifyListen(long), null);
  t.is(await nodeFileIO.notifyListen(path.join(dir, 'missing', 'notify.sock')), null);
  const regular = path.join(dir, 'notify.sock');
  fs.writeFileSync(regular, 'not a socket');
  t.is(await nodeFileIO.notifyListen(regular), null);
  t.is(fs.readFileSync(regular, 'utf8'), 'not a socket', 'a file that is not a socket is never removed');
  const probe = subscribe(regular);
  await until(() => probe.ended, 'the failed connect');
  const missing = subscribe(path.join(dir, 'none.sock'));
  await until(() => missing.ended, 'the failed connect to nothing');
});

test(`at most limits.notifySubscribersMax (${limits.notifySubscribersMax}) subscribers; one more is closed at once`, async (t) => {
  const socketPath = path.join(tempDir(t), 'notify.sock');
  const publisher = await nodeFileIO.notifyListen(socketPath);
  t.truthy(publisher);
  const probes: Probe[] = [];
  for (let index = 0; index < limits.notifySubscribersMax; index++) probes.push(subscribe(socketPath));
  await until(() => publisher!.subscribers === limits.notifySubscribersMax, 'all subscribers');
  const extra = subscribe(socketPath);
  await until(() => extra.ended, 'the extra subscriber to be closed');
  t.is(publisher!.subscribers, limits.notifySubscribersMax);
  t.false(probes.some((probe) => probe.ended));
  await publisher!.close();
  await until(() => probes.every((probe) => probe.ended), 'every subscription to end');
});
