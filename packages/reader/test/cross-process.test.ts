/**
 * One job: a reader in another process than the writer never sees a record beyond HEAD's durable
 * end (issue 12), while the writer appends concurrently. The writer is a child process; this
 * process reads through a reader opened without `durable`, then reads HEAD itself: HEAD only grows
 * (no truncation here), so what HEAD says *after* the reader answered bounds what the reader could
 * honestly have seen.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeHead, decodeHeadFile, HEAD_FILE_NAME } from '@seglog/format';
import { V1_LOG_FIXTURE, v1FixturePayload } from '@seglog/testkit';
import { openReader } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const RECORDS = 6000;

/** Appends RECORDS records from 16 concurrent appenders; each payload names its own offset. */
const WRITER = `
import { openLog } from '@seglog/store';
const log = await openLog({ dir: process.argv[1], blockBytes: 512, segmentBytes: 256 * 1024 });
process.stdout.write('open\\n');
let next = 0;
async function appender() {
  while (next < ${RECORDS}) {
    next++;
    const offset = log.nextOffset;
    const payload = new TextEncoder().encode('record ' + offset);
    const got = await log.append(payload);
    if (got !== offset) throw new Error('offset ' + got + ' for ' + offset);
  }
}
await Promise.all(Array.from({ length: 16 }, appender));
await log.close();
process.stdout.write('done\\n');
`;

/** HEAD's durable end, read as a reader does: a read that meets no valid slot is read again. */
function headDurableOffset(dir: string): number {
  const file = path.join(dir, HEAD_FILE_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    const state = decodeHead(new Uint8Array(fs.readFileSync(file)), file);
    if (state !== null) return state.durableOffset;
  }
  throw new Error(`${file}: no valid slot in 3 reads`);
}

test('a reader in another process never sees a record beyond HEAD durable end under concurrent appends', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-xproc-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@seglog/source', '--input-type=module', '-e', WRITER, dir], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  while (!stdout.includes('open\n')) {
    if (child.exitCode !== null) return t.fail(`writer exited early: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const reader = await openReader({ dir });
  t.teardown(() => reader.close());
  let next = 0;
  let polls = 0;
  let done = false;
  while (!done) {
    done = child.exitCode !== null; // one last pass after the writer closed
    const end = await reader.endOffset();
    const endBound = headDurableOffset(dir);
    t.true(end <= endBound, `poll ${polls}: end ${end} is within HEAD's durable end ${endBound}`);
    for await (const record of reader.read({ from: next })) {
      t.is(new TextDecoder().decode(record.payload), `record ${record.offset}`);
      next = record.offset + 1;
    }
    const readBound = headDurableOffset(dir);
    t.true(next <= readBound, `poll ${polls}: read up to ${next}, HEAD's durable end ${readBound}`);
    polls++;
  }
  t.is(await exited, 0, stderr);
  t.is(next, RECORDS, 'every record was read once the writer closed');
  t.log(`${polls} polls while ${RECORDS} records were appended`);
});

/** Opens the log of the golden v1 fixture in a child process, appends ADDED records, closes. */
const ADDED = 200;
const V1_WRITER = `
import { openLog } from '@seglog/store';
const log = await openLog({ dir: process.argv[1], blockBytes: 512, segmentBytes: 8192, maxBatchBytes: 2048 });
process.stdout.write('open\\n');
for (let i = 0; i < ${ADDED}; i++) await log.append(new TextEncoder().encode('new ' + log.nextOffset));
await log.close();
`;

test('a two-slot HEAD (version 1) is read as it is; a writer in another process rewrites it with three slots and the follower goes on', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-xproc-v1-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.cpSync(V1_LOG_FIXTURE.dir, dir, { recursive: true });
  const head = (): ReturnType<typeof decodeHeadFile> =>
    decodeHeadFile(new Uint8Array(fs.readFileSync(path.join(dir, HEAD_FILE_NAME))), HEAD_FILE_NAME);
  t.is(head()?.version, 1);
  const reader = await openReader({ dir });
  t.teardown(() => reader.close());
  t.is(await reader.endOffset(), V1_LOG_FIXTURE.records, 'the end comes from the two-slot HEAD');
  const controller = new AbortController();
  const seen: number[] = [];
  const following = (async () => {
    for await (const record of reader.read({ from: 0, follow: true, signal: controller.signal })) {
      const expected =
        record.offset < V1_LOG_FIXTURE.records
          ? v1FixturePayload(record.offset)
          : new TextEncoder().encode(`new ${record.offset}`);
      t.deepEqual(record.payload, expected, `record ${record.offset}`);
      seen.push(record.offset);
      if (seen.length === V1_LOG_FIXTURE.records + ADDED) controller.abort();
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@seglog/source', '--input-type=module', '-e', V1_WRITER, dir], {
    cwd: packageDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  t.is(code, 0, stderr);
  await following;
  t.deepEqual(seen, Array.from({ length: V1_LOG_FIXTURE.records + ADDED }, (_, i) => i), 'every record once, in order');
  t.is(head()?.version, 2, 'the writer rewrote HEAD with three slots');
  t.is(await reader.endOffset(), V1_LOG_FIXTURE.records + ADDED);
});
