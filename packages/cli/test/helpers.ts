/**
 * Test helpers: real logs made by the real writer, damaged on purpose, and the built `seglog`
 * command run as a child process, as an operator would run it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLog } from '@seglog/store';

export const BIN = fileURLToPath(new URL('../bin/seglog.js', import.meta.url));

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  /** Called once with the child when stderr first shows `waitFor`. */
  readonly onStderr?: { readonly waitFor: string; readonly then: (child: ReturnType<typeof spawn>) => void };
}

/** Runs the built command with `args`; stdout and stderr are pipes, so never a TTY. */
export function seglog(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let fired = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (!fired && options.onStderr !== undefined && stderr.includes(options.onStderr.waitFor)) {
        fired = true;
        options.onStderr.then(child);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

const made: string[] = [];

export async function tempDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `seglog-cli-${prefix}-`));
  made.push(dir);
  return dir;
}

/** Removes every directory `tempDir` made in this test file's process (`test.after.always`). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(made.splice(0).map((dir) => fs.rm(dir, { recursive: true, force: true })));
}

export function payloadOf(i: number): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ n: i, pad: 'x'.repeat(i % 50) }));
}

/**
 * A closed log of `records`, appended 10 at a time: one 4 KiB batch each, 15 batches (150 records)
 * per segment: the header block, 15 batch blocks, and the last block kept for the trailer.
 */
export async function makeLog(records: number, segmentBytes = 68 * 1024, dir?: string): Promise<string> {
  const target = dir ?? (await tempDir('log'));
  const log = await openLog({ dir: target, segmentBytes });
  for (let i = 0; i < records; i += 10) {
    await log.appendMany(Array.from({ length: Math.min(10, records - i) }, (_, j) => payloadOf(i + j)));
  }
  await log.close();
  return target;
}

export async function segmentNames(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => name.endsWith('.seg')).sort();
}

/** Writes `bytes` at `position` of `file`, as a bad disk or a torn write would. */
export async function writeAt(file: string, position: number, bytes: Uint8Array): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, position);
  } finally {
    await handle.close();
  }
}

export async function flipByte(file: string, position: number): Promise<void> {
  const handle = await fs.open(file, 'r+');
  try {
    const one = Buffer.alloc(1);
    await handle.read(one, 0, 1, position);
    one[0] = one[0]! ^ 0xff;
    await handle.write(one, 0, 1, position);
  } finally {
    await handle.close();
  }
}

/** Where the chain of the last segment ends, from `seglog segments --json`. */
export async function tailEnd(dir: string): Promise<{ file: string; usedBytes: number }> {
  const result = await seglog(['segments', dir, '--json']);
  const rows = (JSON.parse(result.stdout) as { segments: { file: string; usedBytes: number }[] }).segments;
  const last = rows[rows.length - 1]!;
  return { file: path.join(dir, last.file), usedBytes: last.usedBytes };
}

/** A torn tail: the first 100 bytes of a batch header-like garbage after the last batch. */
export async function tearTail(dir: string): Promise<{ file: string; at: number }> {
  const end = await tailEnd(dir);
  const garbage = new Uint8Array(100).fill(0xab);
  // A batch magic ('SGB1') with a body that was never written: what a torn writev leaves.
  garbage.set([0x53, 0x47, 0x42, 0x31], 0);
  await writeAt(end.file, end.usedBytes, garbage);
  return { file: end.file, at: end.usedBytes };
}

/** sha256 of every file under `dir` (names and bytes): proves a command changed nothing. */
export async function hashDir(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (at: string): Promise<void> => {
    for (const entry of (await fs.readdir(at, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(at, entry.name);
      hash.update(full);
      if (entry.isDirectory()) await walk(full);
      else hash.update(await fs.readFile(full));
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

/** Every record the writer recovers on open: proves what the log still holds. */
export async function recordsAfterOpen(dir: string): Promise<number> {
  const log = await openLog({ dir });
  const next = log.nextOffset;
  await log.close();
  return next;
}

export function hasAnsi(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /\u001b\[/.test(text);
}
