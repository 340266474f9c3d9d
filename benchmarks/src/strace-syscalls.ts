/**
 * One job: count the syscalls seglog spends per durable append, with strace, for one cell.
 *
 *   node dist/strace-syscalls.js [--engine seglog] [--concurrency 256] [--record-bytes 128] [--seconds 3]
 *
 * The cell runs in a child process (dist/cell.js) under `strace -f -C -y`, restricted to the calls
 * that put bytes on disk or make them durable (-C is -c's summary plus one line per call; -y names
 * each call's fd so writes to files can be told from libuv's eventfd wake-ups). The total divided by
 * the child's durable appends is the number group commit exists to shrink: on files it should
 * approach 1 / records-per-batch under seglog's default `syncMethod: 'open_datasync'` (one O_DSYNC
 * write per batch) and 2 / records-per-batch under `'fdatasync'` (a write and an fdatasync), where a
 * plain write + fdatasync per record costs 2. The whole child is counted (warm-up, segment creation and
 * preallocation included), so both figures are upper bounds.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { CellResult } from './lib/cell.js';
import { countFileCalls, parseStraceSummary, splitStraceOutput, type SyscallCount } from './lib/strace.js';
import { renderMarkdownTable } from './lib/table.js';
import { writeResults } from './lib/results.js';

const tracedSyscalls = ['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'fdatasync', 'fsync'] as const;
const cellScript = fileURLToPath(new URL('./cell.js', import.meta.url));

interface TraceSettings {
  readonly engine: string;
  readonly concurrency: string;
  readonly recordBytes: string;
  readonly seconds: string;
}

function parseSettings(argv: readonly string[]): TraceSettings {
  const { values } = parseArgs({
    // `pnpm strace -- --seconds 5` passes the separator through; it is not an argument.
    args: argv.filter((arg) => arg !== '--'),
    options: {
      engine: { type: 'string', default: 'seglog' },
      concurrency: { type: 'string', default: '256' },
      'record-bytes': { type: 'string', default: '128' },
      seconds: { type: 'string', default: '3' },
    },
  });
  return { engine: values.engine, concurrency: values.concurrency, recordBytes: values['record-bytes'], seconds: values.seconds };
}

function requireStrace(): void {
  const probe = spawnSync('strace', ['-V'], { stdio: 'ignore' });
  if (probe.error !== undefined) {
    console.error('strace is not installed; install it with: apt-get install -y strace');
    process.exit(2);
  }
}

interface TracedCell {
  readonly cell: CellResult;
  /** strace's output file: call lines, then the summary table. */
  readonly straceText: string;
}

/** Runs the cell under strace; resolves with the child's JSON line and strace's output. */
async function traceCell(settings: TraceSettings, outputPath: string): Promise<TracedCell> {
  const args = [
    '-f', '-C', '-y', '-e', `trace=${tracedSyscalls.join(',')}`, '-o', outputPath,
    process.execPath, cellScript,
    '--engine', settings.engine,
    '--concurrency', settings.concurrency,
    '--record-bytes', settings.recordBytes,
    '--seconds', settings.seconds,
  ];
  const child = spawn('strace', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (exitCode !== 0) throw new Error(`strace ${args.join(' ')} exited with ${exitCode}`);
  const line = stdout.trim().split('\n').pop() ?? '';
  return { cell: JSON.parse(line) as CellResult, straceText: await readFile(outputPath, 'utf8') };
}

interface SyscallRow extends SyscallCount {
  /** Of `calls`, those on a file or directory (not an eventfd, pipe or tty). */
  readonly fileCalls: number;
}

function joinCounts(summary: readonly SyscallCount[], fileCalls: ReadonlyMap<string, number>): SyscallRow[] {
  return summary.map((count) => ({ ...count, fileCalls: fileCalls.get(count.syscall) ?? 0 }));
}

function renderCounts(rows: readonly SyscallRow[], appends: number): string {
  return renderMarkdownTable(
    [
      { title: 'syscall', align: 'left' },
      { title: 'calls', align: 'right' },
      { title: 'errors', align: 'right' },
      { title: 'per durable append', align: 'right' },
      { title: 'on files', align: 'right' },
      { title: 'on files per append', align: 'right' },
    ],
    rows.map((r) => [
      r.syscall,
      r.calls.toLocaleString('en-US'),
      String(r.errors),
      (r.calls / appends).toFixed(4),
      r.fileCalls.toLocaleString('en-US'),
      (r.fileCalls / appends).toFixed(4),
    ]),
  );
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  requireStrace();
  const workDir = await mkdtemp(join(tmpdir(), 'seglog-strace-'));
  try {
    console.log(`tracing: ${settings.engine}, ${settings.concurrency} appenders x ${settings.recordBytes} B, ${settings.seconds} s (under strace, so slower than untraced)`);
    const { cell, straceText } = await traceCell(settings, join(workDir, 'strace.txt'));
    const { calls, summary } = splitStraceOutput(straceText);
    const rows = joinCounts(parseStraceSummary(summary), countFileCalls(calls));
    if (rows.length === 0) throw new Error(`no strace summary found in:\n${summary || straceText.slice(-2000)}`);
    const appends = cell.totalAppends;
    const totalCalls = rows.reduce((sum, r) => sum + r.calls, 0);
    const totalFileCalls = rows.reduce((sum, r) => sum + r.fileCalls, 0);
    console.log(`\n${renderCounts(rows, appends)}\n`);
    console.log(`durable appends: ${appends.toLocaleString('en-US')} (engine's own count of flushes, fdatasyncs or O_DSYNC writes: ${(cell.totalFdatasyncs ?? 0).toLocaleString('en-US')})`);
    console.log(`write-family + sync syscalls per durable append: ${(totalCalls / appends).toFixed(4)} (all fds)`);
    console.log(`  of which on files: ${(totalFileCalls / appends).toFixed(4)} (a plain write + fdatasync per record costs 2)`);
    const path = await writeResults('strace', new Date(), {
      kind: 'strace',
      settings,
      syscalls: rows,
      totalCalls,
      totalFileCalls,
      syscallsPerAppend: totalCalls / appends,
      fileSyscallsPerAppend: totalFileCalls / appends,
      cell,
    });
    console.log(`results: ${path}`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
