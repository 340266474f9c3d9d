/**
 * One job: measure what a background zero fill does to the batches flushed meanwhile, at the I/O
 * level, where CPU load from other processes matters least (issue 11 item 4: the suspect for the
 * worst latencies at many appenders).
 *
 * One file stands in for the active segment: 4 KiB O_DSYNC writes, one after another, each timed
 * (a batch's durable write). At the same time another file is zero-filled to a segment's size the
 * way segment-preparer.ts does it: 1 MiB chunks, and either one fdatasync at the end (the old way)
 * or one after every `--step-mib` (the new way), or not at all (the baseline). The table gives the
 * batch writes' latency while the fill runs, and how long the fill took. Modes rotate every round.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { nodeFileIO } from '@seglog/io';
import type { FileHandle } from '@seglog/types';
import { positiveInteger } from '../lib/args.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Command } from './command.js';

const MIB = 1024 * 1024;
const BATCH_BYTES = 4096;

type Mode = 'none' | 'one-flush' | 'steps';
const modes: readonly Mode[] = ['none', 'one-flush', 'steps'];

interface ProbeResult {
  readonly mode: Mode;
  readonly batches: number;
  readonly p50Micros: number;
  readonly p99Micros: number;
  readonly maxMicros: number;
  readonly fillMillis: number;
}

async function zeroFill(handle: FileHandle, sizeBytes: number, stepBytes: number | null): Promise<void> {
  const zeros = new Uint8Array(MIB);
  for (let position = 0; position < sizeBytes; position += MIB) {
    await handle.writev([zeros], position);
    if (stepBytes !== null && (position + MIB) % stepBytes === 0) await handle.datasync();
  }
  await handle.datasync();
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
}

async function probe(mode: Mode, segmentBytes: number, stepBytes: number): Promise<ProbeResult> {
  return withTempDir(async (dir) => {
    const activePath = join(dir, 'active.seg');
    const setup = await nodeFileIO.open(activePath, 'truncate');
    await setup.writev([new Uint8Array(16 * MIB)], 0);
    await setup.datasync();
    await setup.close();
    const active = await nodeFileIO.open(activePath, 'write-dsync');
    const next = await nodeFileIO.open(join(dir, 'next.seg.tmp'), 'truncate');
    const batch = new Uint8Array(BATCH_BYTES).fill(7);
    const latencies: number[] = [];
    const started = performance.now();
    let filling = true;
    const fill = (mode === 'none' ? new Promise((resolve) => setTimeout(resolve, 1000)) : zeroFill(next, segmentBytes, mode === 'steps' ? stepBytes : null))
      .finally(() => (filling = false));
    let position = 0;
    while (filling) {
      const before = performance.now();
      await active.writev([batch], position);
      latencies.push((performance.now() - before) * 1000);
      position = (position + BATCH_BYTES) % (16 * MIB);
    }
    await fill;
    const fillMillis = performance.now() - started;
    await Promise.all([active.close(), next.close()]);
    latencies.sort((a, b) => a - b);
    return {
      mode,
      batches: latencies.length,
      p50Micros: percentile(latencies, 0.5),
      p99Micros: percentile(latencies, 0.99),
      maxMicros: latencies[latencies.length - 1] ?? Number.NaN,
      fillMillis,
    };
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

export const zeroFillProbeCommand: Command = {
  name: 'zero-fill-probe',
  summary: "4 KiB O_DSYNC writes' latency while the next segment is zero-filled: one flush vs flushes in steps",
  usage: 'usage: main.js zero-fill-probe [--segment-mib 64] [--step-mib 1] [--rounds 5]',
  async run(argv) {
    const options = { 'segment-mib': { type: 'string' }, 'step-mib': { type: 'string' }, rounds: { type: 'string' } } as const;
    const { values } = parseArgs({ args: [...argv], options });
    const segmentBytes = positiveInteger(values['segment-mib'], '--segment-mib', 64) * MIB;
    const stepBytes = positiveInteger(values['step-mib'], '--step-mib', 1) * MIB;
    const rounds = positiveInteger(values.rounds, '--rounds', 5);
    const results = new Map<Mode, ProbeResult[]>(modes.map((mode) => [mode, []]));
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < modes.length; i++) {
        const mode = modes[(i + round) % modes.length]!;
        results.get(mode)!.push(await probe(mode, segmentBytes, stepBytes));
      }
    }
    console.log(`4 KiB O_DSYNC writes while a ${segmentBytes / MIB} MiB file is zero-filled (medians of ${rounds} rounds)`);
    console.log('zero fill                 writes  p50 µs   p99 µs   max µs  fill ms');
    for (const mode of modes) {
      const rows = results.get(mode)!;
      const m = (pick: (r: ProbeResult) => number): string => median(rows.map(pick)).toFixed(0);
      const label = mode === 'steps' ? `flush every ${stepBytes / MIB} MiB` : mode === 'one-flush' ? 'one flush at the end' : 'none (baseline, 1 s)';
      console.log(`${label.padEnd(24)} ${m((r) => r.batches).padStart(7)} ${m((r) => r.p50Micros).padStart(7)} ${m((r) => r.p99Micros).padStart(8)} ${m((r) => r.maxMicros).padStart(8)} ${m((r) => r.fillMillis).padStart(8)}`);
    }
  },
};
