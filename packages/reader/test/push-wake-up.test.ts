/**
 * The writer's push wake-up, as a follower sees it (wake-ups.ts over the real io): the follower
 * connects to `<dir>/notify.sock`, is poked after each HEAD write, drops its directory watch while
 * connected, takes the watch back when the writer goes away, and connects again to a writer that
 * reopens the log. A follower still gets every record when the writer has no socket (the poll).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { openLog } from '@seglog/store';
import { readLimits } from '@seglog/types';
import type { FileIO } from '@seglog/types';
import { nodeFileIO } from '@seglog/io';
import { wrapFileIO } from '@seglog/testkit';
import { openReader } from '../src/index.js';
import { WakeUps } from '../src/wake-ups.js';

/** The real file system without the optional wake-up methods named (as an engine that lacks them). */
function nodeIoWithout(missing: ReadonlyArray<'notifyListen' | 'notifySubscribe' | 'watch'>): FileIO {
  const io = wrapFileIO(nodeFileIO, {});
  for (const name of missing) delete io[name];
  return io;
}

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-push-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const until = async (condition: () => boolean, what: string): Promise<void> => {
  for (let attempt = 0; !condition(); attempt++) {
    if (attempt > 4000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

test('a follower connects to the writer socket, is poked after each HEAD write, and reconnects to a reopened log', async (t) => {
  const dir = tempDir(t);
  const log = await openLog({ dir });
  t.true(fs.lstatSync(path.join(dir, 'notify.sock')).isSocket(), 'the writer listens in the log directory');
  const wakeUps = new WakeUps(nodeFileIO, dir, undefined);
  t.teardown(() => wakeUps.close());
  await until(() => wakeUps.pushConnected, 'the connection');
  const before = wakeUps.counts.pushes;
  await log.append(new Uint8Array([1]));
  await until(() => wakeUps.counts.pushes > before, 'a poke after the append');
  await wakeUps.wait(undefined); // the poke was remembered: returns at once
  await log.close();
  t.false(fs.existsSync(path.join(dir, 'notify.sock')), 'close removes the socket');
  await until(() => !wakeUps.pushConnected, 'the follower to see the writer go');
  const reopened = await openLog({ dir });
  // The next poll tick at least notifyReconnectMs after the last try connects again.
  while (!wakeUps.pushConnected) await wakeUps.wait(AbortSignal.timeout(readLimits.notifyReconnectMs * 20));
  const again = wakeUps.counts.pushes;
  await reopened.append(new Uint8Array([2]));
  await until(() => wakeUps.counts.pushes > again, 'a poke from the reopened writer');
  await reopened.close();
  t.pass();
});

test('on an engine without notifyListen/notifySubscribe there is no socket, and a follower still follows (watch and poll)', async (t) => {
  const dir = tempDir(t);
  const bound = nodeIoWithout(['notifyListen', 'notifySubscribe']);
  const log = await openLog({ dir, io: bound });
  t.false(fs.existsSync(path.join(dir, 'notify.sock')), 'no socket without notifyListen');
  const reader = await openReader({ dir, io: bound });
  t.teardown(() => reader.close());
  const got: number[] = [];
  const following = (async () => {
    for await (const record of reader.read({ from: 0, follow: true, signal: AbortSignal.timeout(60_000) })) {
      got.push(record.offset);
      if (got.length === 50) break;
    }
  })();
  for (let index = 0; index < 50; index++) await log.append(new Uint8Array([index]));
  await following;
  t.deepEqual(got, Array.from({ length: 50 }, (_, index) => index));
  await log.close();
});

test('the safety-net poll backs off to followPollMaxMs while a wake-up source works, and polls fast without one', async (t) => {
  const dir = tempDir(t);
  const bare = nodeIoWithout(['notifyListen', 'notifySubscribe', 'watch']);
  // The poll alone (as on NFS): the shortest delay after progress, doubling while nothing moves.
  const pollOnly = new WakeUps(bare, dir, undefined);
  t.teardown(() => pollOnly.close());
  pollOnly.progressed();
  t.is(pollOnly.pollDelayMs, readLimits.followPollMinMs);
  await pollOnly.wait(undefined);
  t.is(pollOnly.pollDelayMs, readLimits.followPollMinMs * 2, 'nothing moved: the delay doubled');
  // A watch that has not fired proves nothing; once it fires, the poll is only a safety net.
  let change: (() => void) | undefined;
  const watched: FileIO = { ...bare, watch: (_folder, onChange) => ((change = onChange), { close: () => undefined }) };
  const watching = new WakeUps(watched, dir, undefined);
  t.teardown(() => watching.close());
  watching.progressed();
  t.is(watching.pollDelayMs, readLimits.followPollMinMs, 'a watch that never fired');
  change!();
  watching.progressed();
  t.is(watching.pollDelayMs, readLimits.followPollMaxMs, 'a watch that fired: the longest delay, even after progress');
  // The writer's socket, connected.
  const log = await openLog({ dir });
  t.teardown(() => log.close());
  const pushed = new WakeUps(nodeFileIO, dir, undefined);
  t.teardown(() => pushed.close());
  await until(() => pushed.pushConnected, 'the connection');
  pushed.progressed();
  t.is(pushed.pollDelayMs, readLimits.followPollMaxMs, 'connected to the writer: the longest delay');
  // The log's own hook, in the writer's process.
  const hooked = new WakeUps(bare, dir, log);
  t.teardown(() => hooked.close());
  hooked.progressed();
  t.is(hooked.pollDelayMs, readLimits.followPollMaxMs, 'the in-process hook: the longest delay');
});
