/**
 * One job: a follower in this process tails a writer in another one (HEAD, a directory watch and
 * the poll), and keeps tailing while the writer is SIGKILLed and restarted: every record exactly
 * once, in order, and none that a restart's recovery dropped or replaced.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openReader } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const CHILD = fileURLToPath(new URL('./helpers/append-child.ts', import.meta.url));

function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-follow-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Writer {
  readonly child: ChildProcess;
  readonly opened: Promise<void>;
  readonly exited: Promise<number | string | null>;
  /** Resolves with the rest of the first line the writer prints that starts with `prefix`. */
  line(prefix: string): Promise<string>;
}

function startWriter(t: ExecutionContext, dir: string, count: number | 'forever', cutBack?: number): Writer {
  const args = ['--import', 'tsx', '--conditions=@seglog/source', CHILD, dir, String(count)];
  if (cutBack !== undefined) args.push(String(cutBack));
  const child = spawn(process.execPath, args, { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const line = (prefix: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const look = (): void => {
        const found = stdout.split('\n').find((text) => text.startsWith(`${prefix} `));
        if (found !== undefined) resolve(found.slice(prefix.length + 1));
        else if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`writer exited before "${prefix}": ${stderr}`));
        else setTimeout(look, 1);
      };
      look();
    });
  const opened = line('open').then(() => undefined);
  return { child, opened, exited, line };
}

const textOf = (payload: Uint8Array): string => new TextDecoder().decode(payload);
const describeEnd = (ended: unknown): string => (ended instanceof Error ? ended.message : typeof ended === 'string' ? ended : 'a non-Error value');

test('a follower in another process than the writer gets every record once, in order, as it becomes durable', async (t) => {
  const dir = tempDir(t);
  const total = 3000;
  const writer = startWriter(t, dir, total);
  await writer.opened;
  const reader = await openReader({ dir });
  t.teardown(() => reader.close());
  let next = 0;
  for await (const record of reader.read({ from: 0, follow: true, signal: AbortSignal.timeout(100_000) })) {
    t.is(record.offset, next);
    t.true(textOf(record.payload).startsWith(`record ${record.offset} `), 'the payload names its offset');
    next++;
    if (next === total) break;
  }
  t.is(await writer.exited, 0);
  t.is(next, total);
});

test('a follower tails a writer that is SIGKILLed and restarted: every record once, in order, none dropped by recovery', async (t) => {
  const dir = tempDir(t);
  const first = startWriter(t, dir, 'forever');
  await first.opened;
  const reader = await openReader({ dir });
  t.teardown(() => reader.close());
  const seen: string[] = [];
  const controller = new AbortController();
  const follower = (async () => {
    for await (const record of reader.read({ from: 0, follow: true, signal: controller.signal })) {
      if (record.offset !== seen.length) throw new Error(`offset ${record.offset} after ${seen.length} records`);
      seen.push(textOf(record.payload));
    }
  })();
  const stopped = follower.catch((error: unknown) => error);
  const cycles = 5;
  let writer = first;
  for (let cycle = 0; cycle < cycles; cycle++) {
    const before = seen.length;
    while (seen.length < before + 300) await new Promise((resolve) => setTimeout(resolve, 2));
    writer.child.kill('SIGKILL');
    t.is(await writer.exited, 'SIGKILL');
    writer = startWriter(t, dir, cycle === cycles - 1 ? 0 : 'forever');
    await writer.opened;
  }
  t.is(await writer.exited, 0, 'the last writer opened (recovering) and closed');
  const durableEnd = await reader.endOffset();
  while (seen.length < durableEnd) await new Promise((resolve) => setTimeout(resolve, 2));
  controller.abort();
  t.is((await stopped as Error).name, 'AbortError');
  // Every record the follower saw is in the log as recovered, with the same bytes.
  const check = await openReader({ dir });
  let offset = 0;
  for await (const record of check.read({ from: 0 })) {
    t.is(textOf(record.payload), seen[offset] ?? `(not seen)`, `offset ${offset} unchanged since the follower saw it`);
    offset++;
  }
  await check.close();
  t.is(offset, seen.length, 'the follower saw every record, once');
  t.true(new Set(seen.map((text) => text.split(' ')[2])).size >= cycles, 'records from every writer');
  t.log(`${seen.length} records over ${cycles} kills`);
});

test('a follower in another process across SIGKILLs, a deliberate truncateAfter (SEGLOG_TRUNCATED) and a kill during one', async (t) => {
  const dir = tempDir(t);
  const first = startWriter(t, dir, 'forever');
  await first.opened;
  const reader = await openReader({ dir });
  t.teardown(() => reader.close());
  const seen: string[] = [];
  const controller = new AbortController();
  const cuts: number[] = [];
  const follower = (async () => {
    let from = 0;
    for (;;) {
      try {
        for await (const record of reader.read({ from, follow: true, signal: controller.signal })) {
          if (record.offset !== seen.length) throw new Error(`offset ${record.offset} after ${seen.length} records`);
          seen.push(textOf(record.payload));
          from = record.offset + 1;
        }
        return;
      } catch (error) {
        if (!isSeglogError(error, ErrorCodes.TRUNCATED)) throw error;
        // A deliberate cut: what the follower had from the new end on was taken back.
        cuts.push(error.endOffset!);
        seen.length = Math.min(seen.length, error.endOffset!);
        from = error.endOffset!;
      }
    }
  })();
  let ended: unknown = null;
  const stopped = follower.then(
    () => (ended = 'ended'),
    (error: unknown) => (ended = error),
  );
  /** Waits for the follower to hold `count` records; fails (instead of hanging) if it stopped. */
  const waitSeen = async (count: number): Promise<void> => {
    const deadline = Date.now() + 50_000; // the writer child exits by itself after 60 s
    while (seen.length < count) {
      if (ended !== null) throw new Error(`the follower stopped at ${seen.length} records: ${describeEnd(ended)}`);
      if (Date.now() > deadline) throw new Error(`the follower has ${seen.length} records, not ${count}, after 50 s`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  };
  await waitSeen(200);
  first.child.kill('SIGKILL');
  t.is(await first.exited, 'SIGKILL');
  // A truncateAfter that completes: the follower, past the cut, gets SEGLOG_TRUNCATED.
  const cutter = startWriter(t, dir, 'forever', 60);
  const cut = Number(await cutter.line('truncated'));
  await waitSeen(cut + 100);
  t.true(cuts.includes(cut), `the follower was told of the cut at ${cut} (told: ${cuts.join(', ')})`);
  cutter.child.kill('SIGKILL');
  t.is(await cutter.exited, 'SIGKILL');
  // A kill while a truncateAfter runs: the next open finishes it, or it never started.
  const interrupted = startWriter(t, dir, 'forever', 50);
  await interrupted.line('truncating');
  interrupted.child.kill('SIGKILL');
  t.is(await interrupted.exited, 'SIGKILL');
  const last = startWriter(t, dir, 0);
  t.is(await last.exited, 0, 'the last writer opened (recovering, finishing any truncation) and closed');
  const durableEnd = await reader.endOffset();
  const check = await openReader({ dir });
  const inLog: string[] = [];
  for await (const record of check.read({ from: 0 })) inLog.push(textOf(record.payload));
  await check.close();
  t.is(inLog.length, durableEnd);
  // The follower learns the end (and any cut of the interrupted truncation) at its next HEAD read.
  const settled = (): boolean => seen.length === inLog.length && seen.every((text, offset) => text === inLog[offset]);
  for (let attempt = 0; attempt < 10_000 && !settled() && ended === null; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  controller.abort();
  await stopped;
  t.is((ended as Error).name, 'AbortError', describeEnd(ended));
  t.is(seen.length, inLog.length, 'the follower has every record of the log, once');
  t.true(seen.every((text, offset) => text === inLog[offset]), 'and each one is the record the log holds now');
  t.log(`${seen.length} records; cuts the follower was told of: ${cuts.join(', ')}`);
});
