/**
 * One job: the strace pass. Runs one cell under `strace -f` in a separate child process and turns
 * the calls into per-append figures: write-family + sync syscalls per append, syncs per append
 * (the durability check), and bytes written to files per payload byte.
 *
 * Separate from the timing runs because tracing slows every traced call: the numbers here are
 * counts, never speeds. The whole child is traced (engine open, warm-up, drain and, for Redis and
 * NATS, the server, which the child starts and strace -f follows). The per-append figures count
 * only calls made inside the cell's measured window (strace -ttt timestamps against the window's
 * wall-clock edges) divided by the appends completed in it: steady state, as in a long-running
 * service. Whole-process figures (start-up, such as seglog zero-filling its first segment,
 * included) are kept in the JSON as `lifetime`. `--seccomp-bpf` stops the tracee only on the
 * traced calls, which keeps the slowdown small.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CellResult } from '../lib/cell.js';
import { runChildJson } from '../lib/child.js';
import { countCalls, tracedSyscalls, type CallCounts } from '../lib/strace-lines.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { CellSpec } from './plan.js';
import { cellArgs, type RunSettings } from './run-cells.js';

export interface TraceWholeProcess {
  readonly records: number;
  readonly syscallsPerAppend: number;
  readonly syncsPerAppend: number;
  readonly fileBytesPerPayloadByte: number;
  readonly counts: CallCounts;
}

export interface TraceFigures {
  readonly records: number;
  /** Write-family calls on files and sockets plus sync calls, per durable append. */
  readonly syscallsPerAppend: number;
  /** Flushes per durable append: sync-family calls plus writes to files opened with O_DSYNC/O_SYNC. */
  readonly syncsPerAppend: number;
  readonly appendsPerSync: number | null;
  /** Bytes the engine (and its server) wrote to files, per payload byte appended. */
  readonly fileBytesPerPayloadByte: number;
  /** Every traced call per append, libuv wake-ups (eventfd writes) included. */
  readonly allCallsPerAppend: number;
  readonly counts: CallCounts;
  /** The same over the child's whole life (start-up, warm-up, drain, close). */
  readonly lifetime: TraceWholeProcess;
}

export function straceUnavailableReason(): string | null {
  const probe = spawnSync('strace', ['-V'], { stdio: 'ignore' });
  return probe.error === undefined ? null : 'strace not installed (apt-get install -y strace): syscall columns left empty';
}

/** Runs `cell` once under strace in a child process; strace's output goes to a temporary directory. */
export function traceCell(cell: CellSpec, settings: RunSettings): Promise<TraceFigures> {
  return withTempDir((dir) => traceInto(cell, settings, join(dir, 'strace.txt')));
}

async function traceInto(cell: CellSpec, settings: RunSettings, outputPath: string): Promise<TraceFigures> {
  const wrapper = ['strace', '-f', '-ttt', '-qq', '--seccomp-bpf', '-y', '-s', '0', '-e', `trace=${tracedSyscalls.join(',')}`, '-e', 'signal=none', '-o', outputPath];
  const result = await runChildJson<CellResult>({
    wrapper,
    command: 'cell',
    args: cellArgs(cell, settings),
    timeoutMillis: settings.warmupMillis + settings.durationMillis + 120_000,
  });
  const text = await readFile(outputPath, 'utf8');
  const window = { startMicros: result.windowStartEpochMicros, endMicros: result.windowEndEpochMicros };
  return figuresOf(countCalls(text, window), countCalls(text), result);
}

/** Per-append figures from the window's counts and the whole process's. */
export function figuresOf(counts: CallCounts, whole: CallCounts, result: Pick<CellResult, 'appends' | 'payloadBytes' | 'lifetimeRecords' | 'lifetimePayloadBytes'>): TraceFigures {
  const records = Math.max(1, result.appends);
  const lifetimeRecords = Math.max(1, result.lifetimeRecords);
  return {
    records: result.appends,
    syscallsPerAppend: (counts.ioWrites + counts.syncCalls) / records,
    syncsPerAppend: counts.syncs / records,
    appendsPerSync: counts.syncs === 0 ? null : records / counts.syncs,
    fileBytesPerPayloadByte: result.payloadBytes === 0 ? 0 : counts.writtenBytes.file / result.payloadBytes,
    allCallsPerAppend: counts.allCalls / records,
    counts,
    lifetime: {
      records: result.lifetimeRecords,
      syscallsPerAppend: (whole.ioWrites + whole.syncCalls) / lifetimeRecords,
      syncsPerAppend: whole.syncs / lifetimeRecords,
      fileBytesPerPayloadByte: result.lifetimePayloadBytes === 0 ? 0 : whole.writtenBytes.file / result.lifetimePayloadBytes,
      counts: whole,
    },
  };
}
