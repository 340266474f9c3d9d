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
}

function startWriter(t: ExecutionContext, dir: string, count: number | 'forever'): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@seglog/source', CHILD, dir, String(count)], { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const opened = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().startsWith('open')) resolve();
    });
    void exited.then((code) => reject(new Error(`writer exited (${code}) before opening: ${stderr}`)));
  });
  return { child, opened, exited };
}

const textOf = (payload: Uint8Array): string => new TextDecoder().decode(payload);

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
