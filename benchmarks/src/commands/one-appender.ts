/**
 * One job: the one-appender target of issue 11 as an A/B in one run: seglog with one closed-loop
 * appender against the bare async O_DSYNC write loop (lib/device-ceiling.ts), alternating, the order
 * rotating each round, each on a fresh directory of the same disk. A shared disk's drift then hits
 * both alike, and the ratio of the medians is the figure the target is about (>= 90%). CPU per
 * write comes with each (process.cpuUsage over the window): counts like it are what can be judged
 * on a loaded machine, where the rates themselves are provisional.
 */
import { parseArgs } from 'node:util';
import { runCell } from '../engines/index.js';
import { positiveInteger, positiveNumber } from '../lib/args.js';
import { measureAsyncDsyncWrites } from '../lib/device-ceiling.js';
import { withTempDir } from '../lib/tmpdir.js';
import { median, rotate } from '../report/stats.js';
import type { Command } from './command.js';

interface Figures {
  readonly perSecond: number;
  readonly cpuMicros: number;
  readonly p99Micros: number;
}

type Side = 'bare loop' | 'seglog';

async function measure(side: Side, seconds: number, recordBytes: number): Promise<Figures> {
  return withTempDir(async (dir) => {
    if (side === 'bare loop') {
      const loop = await measureAsyncDsyncWrites(dir, seconds);
      return { perSecond: loop.writesPerSecond, cpuMicros: loop.cpuMicrosPerWrite, p99Micros: loop.latencyMicros.p99 };
    }
    const durationMillis = Math.round(seconds * 1000);
    const cell = await runCell('seglog', { dir, recordBytes, concurrency: 1, warmupMillis: 500, durationMillis });
    return { perSecond: cell.appendsPerSecond, cpuMicros: cell.cpuMicrosPerAppend, p99Micros: cell.latencyMicros.p99 };
  });
}

export const oneAppenderCommand: Command = {
  name: 'one-appender',
  summary: 'seglog with one appender against the bare async O_DSYNC write loop, alternating in one run (issue 11: >= 90%)',
  usage: 'usage: main.js one-appender [--rounds 5] [--seconds 2] [--record-bytes 128]',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: { rounds: { type: 'string' }, seconds: { type: 'string' }, 'record-bytes': { type: 'string' } },
    });
    const rounds = positiveInteger(values.rounds, '--rounds', 5);
    const seconds = positiveNumber(values.seconds, '--seconds', 2);
    const recordBytes = positiveInteger(values['record-bytes'], '--record-bytes', 128);
    const runs: Record<Side, Figures[]> = { 'bare loop': [], seglog: [] };
    for (let round = 0; round < rounds; round++) {
      for (const side of rotate<Side>(['bare loop', 'seglog'], round)) {
        const figures = await measure(side, seconds, recordBytes);
        runs[side].push(figures);
        const { perSecond, cpuMicros, p99Micros } = figures;
        console.log(`round ${round + 1} ${side.padEnd(9)} ${Math.round(perSecond).toLocaleString('en-US')}/s, CPU ${cpuMicros.toFixed(1)} µs, p99 ${p99Micros} µs`);
      }
    }
    const of = (side: Side, pick: (figures: Figures) => number): number => median(runs[side].map(pick));
    console.log('\n| side | writes or appends/s (median) | CPU µs each | p99 µs |\n| --- | ---: | ---: | ---: |');
    for (const side of ['bare loop', 'seglog'] as const) {
      const rate = Math.round(of(side, (f) => f.perSecond)).toLocaleString('en-US');
      console.log(`| ${side} | ${rate} | ${of(side, (f) => f.cpuMicros).toFixed(1)} | ${of(side, (f) => f.p99Micros)} |`);
    }
    const ratio = of('seglog', (f) => f.perSecond) / of('bare loop', (f) => f.perSecond);
    console.log(`\nseglog / bare loop: ${(100 * ratio).toFixed(1)}% (target >= 90%), ${rounds} rounds of ${seconds} s`);
  },
};
