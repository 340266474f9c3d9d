/**
 * One job: the README's benchmark. Group commit (seglog) against one write + fdatasync per record,
 * on a temporary log on the disk behind /tmp, printed as a Markdown table and saved as JSON.
 *
 *   node dist/quickstart.js [--seconds N] [--quick] [--warmup-ms M]
 *
 * For each record size and each number of concurrent appenders, each engine runs in a fresh temp
 * directory for a warm-up plus a measured window (default 3 s, --quick 1 s). The engines
 * alternate cell by cell so a slow spell on a shared disk hurts both rather than one.
 */
import { parseArgs } from 'node:util';
import { runCell } from './engines/index.js';
import { type CellResult, type EngineName } from './lib/cell.js';
import { describeFileSystem, describeMachine } from './lib/machine.js';
import { renderResultsTable, speedRatios } from './lib/report.js';
import { writeResults } from './lib/results.js';
import { benchTempRoot, sameFileSystemAsTmp, withTempDir } from './lib/tmpdir.js';

const recordSizesBytes = [128, 1024] as const;
const concurrencies = [1, 16, 256] as const;
/** Plain goes first in each pair: the table reads baseline, then what group commit does with it. */
const engineOrder: readonly EngineName[] = ['plain-fdatasync', 'seglog'];

interface Settings {
  readonly durationMillis: number;
  readonly warmupMillis: number;
}

const usage = `usage: node dist/quickstart.js [--seconds N] [--quick] [--warmup-ms M]
  --seconds N    measured seconds per cell (default 3)
  --quick        1 s per cell with a shorter warm-up
  --warmup-ms M  warm-up before each measured window (default 1500, --quick 1000)`;

/**
 * Why the warm-up is this long: right after open, seglog zero-fills the *next* 64 MiB segment in
 * the background (64 x 1 MiB pwrite + fdatasync, about 1.2 s on the 2-core dev VM, seen with
 * `strace -tt`). That one-off startup cost shares the disk with the first appends; the table is
 * about steady-state group commit, so the window opens after it. Later segments' preallocation still
 * lands inside windows whenever a run rolls a segment, as it would in a long-lived service.
 */
const defaultWarmupMillis = 1500;
const quickWarmupMillis = 1000;

function parseSettings(argv: readonly string[]): Settings {
  const { values } = parseArgs({
    // `pnpm quickstart -- --quick` passes the separator through; it is not an argument.
    args: argv.filter((arg) => arg !== '--'),
    options: {
      seconds: { type: 'string' },
      quick: { type: 'boolean' },
      'warmup-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  const seconds = values.seconds === undefined ? (values.quick === true ? 1 : 3) : Number(values.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new TypeError(`--seconds must be a positive number\n${usage}`);
  const defaultWarmup = values.quick === true ? quickWarmupMillis : defaultWarmupMillis;
  const warmupMillis = values['warmup-ms'] === undefined ? defaultWarmup : Number(values['warmup-ms']);
  if (!Number.isInteger(warmupMillis) || warmupMillis < 0) {
    throw new TypeError(`--warmup-ms must be a non-negative integer\n${usage}`);
  }
  return { durationMillis: Math.round(seconds * 1000), warmupMillis };
}

async function runAllCells(settings: Settings): Promise<CellResult[]> {
  const results: CellResult[] = [];
  for (const recordBytes of recordSizesBytes) {
    for (const concurrency of concurrencies) {
      for (const engine of engineOrder) {
        const result = await withTempDir((dir) =>
          runCell(engine, { dir, recordBytes, concurrency, ...settings }),
        );
        reportProgress(result);
        results.push(result);
      }
    }
  }
  return results;
}

function reportProgress(result: CellResult): void {
  const rate = Math.round(result.appendsPerSecond).toLocaleString('en-US');
  process.stderr.write(
    `  ${result.engine.padEnd(15)} ${String(result.recordBytes).padStart(5)} B x ${String(result.concurrency).padStart(3)}: ${rate} appends/s\n`,
  );
}

async function main(): Promise<void> {
  const settings = parseSettings(process.argv.slice(2));
  const startedAt = new Date();
  const tempRoot = benchTempRoot();
  const machine = describeMachine(tempRoot);
  const sameAsTmp = sameFileSystemAsTmp(tempRoot);
  console.log(`seglog quickstart: group commit vs one write + fdatasync per record`);
  console.log(`temp dir: ${tempRoot} (${describeFileSystem(machine)})${sameAsTmp ? '' : ' -- NOT the file system of /tmp'}`);
  console.log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.platform} ${machine.kernel}, Node ${machine.node}`);
  const cellCount = recordSizesBytes.length * concurrencies.length * engineOrder.length;
  console.log(`${cellCount} cells x (${settings.warmupMillis} ms warm-up + ${settings.durationMillis / 1000} s)\n`);

  const results = await runAllCells(settings);
  console.log(`\n${renderResultsTable(results)}\n`);

  const path = await writeResults('quickstart', startedAt, {
    kind: 'quickstart',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings: { ...settings, recordSizesBytes, concurrencies, engines: engineOrder },
    machine: { ...machine, tempDirSameFileSystemAsTmp: sameAsTmp },
    ratios: speedRatios(results),
    cells: results,
  });
  console.log(`results: ${path}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
