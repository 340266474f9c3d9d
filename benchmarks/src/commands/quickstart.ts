/**
 * One job: `pnpm quickstart`: run lib/quickstart.ts, print the README's table, save the JSON.
 */
import { parseArgs } from 'node:util';
import { nonNegativeInteger, positiveNumber } from '../lib/args.js';
import type { CellResult } from '../lib/cell.js';
import { quickstartCellCount, quickstartConcurrencies, quickstartEngines, quickstartRecordSizesBytes, quickstartSettings, runQuickstart, type QuickstartSettings } from '../lib/quickstart.js';
import { benchTempRoot, sameFileSystemAsTmp } from '../lib/tmpdir.js';
import { describeHost, describeMachine } from '../report/machine.js';
import { writeResults } from '../report/results.js';
import type { Command } from './command.js';

export const quickstartCommand: Command = {
  name: 'quickstart',
  summary: "the README's table: seglog against write + fdatasync per record, 1/16/256 appenders (pnpm quickstart)",
  usage: `usage: pnpm quickstart [-- options]     (node benchmarks/dist/main.js quickstart [options])
  --seconds N    measured seconds per cell (default 3)
  --quick        1 s per cell with a shorter warm-up
  --warmup-ms M  warm-up before each measured window (default 1500, --quick 1000)`,
  async run(argv) {
    const settings = parseSettings(argv);
    const tempRoot = benchTempRoot();
    const machine = describeMachine(tempRoot);
    console.log(`seglog quickstart: group commit vs one write + fdatasync per record`);
    console.log(describeHost(machine, sameFileSystemAsTmp(tempRoot)));
    console.log(`${quickstartCellCount()} cells x (${settings.warmupMillis} ms warm-up + ${settings.durationMillis / 1000} s)\n`);
    const run = await runQuickstart(settings, reportProgress);
    console.log(`\n${run.table}\n`);
    const path = await writeResults('quickstart', run.startedAt, {
      kind: 'quickstart',
      startedAt: run.startedAt.toISOString(),
      finishedAt: run.finishedAt.toISOString(),
      settings: {
        ...settings,
        recordSizesBytes: quickstartRecordSizesBytes,
        concurrencies: quickstartConcurrencies,
        engines: quickstartEngines,
      },
      machine: run.machine,
      ratios: run.ratios,
      cells: run.cells,
    });
    console.log(`results: ${path}`);
  },
};

function parseSettings(argv: readonly string[]): QuickstartSettings {
  const { values } = parseArgs({
    args: [...argv],
    options: { seconds: { type: 'string' }, quick: { type: 'boolean' }, 'warmup-ms': { type: 'string' } },
  });
  const defaults = quickstartSettings(values.quick === true);
  return {
    durationMillis: Math.round(positiveNumber(values.seconds, '--seconds', defaults.durationMillis / 1000) * 1000),
    warmupMillis: nonNegativeInteger(values['warmup-ms'], '--warmup-ms', defaults.warmupMillis),
  };
}

function reportProgress(result: CellResult): void {
  const rate = Math.round(result.appendsPerSecond).toLocaleString('en-US');
  process.stderr.write(
    `  ${result.engine.padEnd(15)} ${String(result.recordBytes).padStart(5)} B x ${String(result.concurrency).padStart(3)}: ${rate} appends/s\n`,
  );
}
