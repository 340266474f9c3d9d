/**
 * One job: `main.js random-get`: random `reader.get` on a log of about 1 KiB records written in
 * 2 MiB batches (issue 11's cell: warm p50 <= 0.2 ms; reader RSS <= cacheBytes + 32 MiB over its
 * RSS after open), and cold when the page cache can be dropped (root). `random-get-reader` is the
 * child process that reads. The measurement itself is lib/random-get.ts, shared with the suite.
 */
import { parseArgs } from 'node:util';
import { positiveInteger } from '../lib/args.js';
import { readerChild, runRandomGet, type RandomGetFigures, type RandomGetSettings } from '../lib/random-get.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Command } from './command.js';

const MiB = 1024 * 1024;

/** The figures as Markdown rows: one cell per line, with the targets. */
export function renderRandomGet(figures: RandomGetFigures, settings: RandomGetSettings): string {
  const ms = (micros: number): string => (micros / 1000).toFixed(3);
  const growthMiB = (figures.rssPeakBytes - figures.rssBaseBytes) / MiB;
  const budgetMiB = figures.cacheBytes / MiB + 32;
  const log = `${settings.logMiB} MiB log, ${figures.records.toLocaleString('en-US')} records of ${settings.recordBytes} B in ${figures.batches} batches of ${settings.batchMiB} MiB`;
  const rows = [
    `| cell | figure | target | met |`,
    `| --- | --- | --- | --- |`,
    `| random get, warm (${figures.warm.gets.toLocaleString('en-US')} gets) | p50 ${ms(figures.warm.p50Micros)} ms, p99 ${ms(figures.warm.p99Micros)} ms | p50 <= 0.2 ms | ${figures.warm.p50Micros <= 200 ? 'yes' : 'no'} |`,
    figures.cold === null
      ? `| random get, cold | not measured: ${figures.coldSkipped ?? 'no cold gets'} | | |`
      : `| random get, cold (first ${figures.cold.gets} gets after dropping the page cache) | p50 ${ms(figures.cold.p50Micros)} ms, p99 ${ms(figures.cold.p99Micros)} ms | (none) | |`,
    `| reader RSS under random gets (cacheBytes ${figures.cacheBytes / MiB} MiB) | ${(figures.rssBaseBytes / MiB).toFixed(0)} MiB after open, peak ${(figures.rssPeakBytes / MiB).toFixed(0)} MiB: +${growthMiB.toFixed(1)} MiB | growth <= ${budgetMiB} MiB | ${growthMiB <= budgetMiB ? 'yes' : 'no'} |`,
  ];
  const { rssBytes, heapUsedBytes, arrayBuffersBytes } = figures.afterGc;
  const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
  const after = `After the gets and a full GC (reader open): RSS ${mib(rssBytes)} MiB, JS heap ${mib(heapUsedBytes)} MiB, ArrayBuffers ${mib(arrayBuffersBytes)} MiB.`;
  return `${log}\n\n${rows.join('\n')}\n\n${after}`;
}

export const randomGetCommand: Command = {
  name: 'random-get',
  summary: 'random reader.get on a 1 GiB log of 1 KiB records in 2 MiB batches: latency warm and cold, reader RSS vs cacheBytes',
  usage: 'usage: main.js random-get [--log-mib 1024] [--record-bytes 1000] [--batch-mib 2] [--cache-mib 32] [--gets 20000] [--cold-gets 500]',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        'log-mib': { type: 'string' },
        'record-bytes': { type: 'string' },
        'batch-mib': { type: 'string' },
        'cache-mib': { type: 'string' },
        gets: { type: 'string' },
        'cold-gets': { type: 'string' },
      },
    });
    const settings: RandomGetSettings = {
      logMiB: positiveInteger(values['log-mib'], '--log-mib', 1024),
      recordBytes: positiveInteger(values['record-bytes'], '--record-bytes', 1000),
      batchMiB: positiveInteger(values['batch-mib'], '--batch-mib', 2),
      cacheMiB: positiveInteger(values['cache-mib'], '--cache-mib', 32),
      gets: positiveInteger(values.gets, '--gets', 20_000),
      coldGets: values['cold-gets'] === '0' ? 0 : positiveInteger(values['cold-gets'], '--cold-gets', 500),
    };
    const figures = await withTempDir((dir) => runRandomGet(dir, settings));
    console.log(renderRandomGet(figures, settings));
  },
};

export const randomGetReaderCommand: Command = {
  name: 'random-get-reader',
  summary: '(internal) the reader process of `random-get`',
  usage: 'usage: main.js random-get-reader <dir> <records> <cache-bytes> <gets> <cold-gets>',
  async run(argv) {
    const [dir, records, cacheBytes, gets, coldGets] = argv;
    const cold = coldGets === '0' ? 0 : positiveInteger(coldGets, 'cold-gets');
    const report = await readerChild(dir!, positiveInteger(records, 'records'), positiveInteger(cacheBytes, 'cache-bytes'), positiveInteger(gets, 'gets'), cold);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  },
};
