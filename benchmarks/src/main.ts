/**
 * One job: the benchmarks' single command line. Every benchmark is a subcommand over the same
 * cell runner (lib/) and the same report and chart module (report/):
 *
 *   node benchmarks/dist/main.js <command> [options]      (--help after a command for its options)
 *
 * `pnpm quickstart` and `pnpm bench` call `quickstart` and `suite`. `cell` and `device` are what
 * the suite runs in child processes, one measurement per process.
 */
import { isSeglogError } from '@seglog/types';
import { withoutSeparator } from './lib/args.js';
import { appendCpuCommand } from './commands/append-cpu.js';
import { cellCommand } from './commands/cell.js';
import { checksumCostCommand } from './commands/checksum-cost.js';
import type { Command } from './commands/command.js';
import { deviceCommand } from './commands/device.js';
import { embeddedCpuCommand } from './commands/embedded-cpu.js';
import { followCommand, followReaderCommand } from './commands/follow.js';
import { openTimeCommand, openTimeFillCommand, openTimeOpenCommand } from './commands/open-time.js';
import { jetstreamShipCommand } from './commands/jetstream-ship.js';
import { optionsAbCommand } from './commands/options-ab.js';
import { oneAppenderCommand } from './commands/one-appender.js';
import { preallocateCommand } from './commands/preallocate.js';
import { profileTopCommand } from './commands/profile-top.js';
import { probeCommand } from './commands/probe.js';
import { quickstartCommand } from './commands/quickstart.js';
import { queueE2eCommand, queueE2eRunCommand } from './commands/queue-e2e.js';
import { queueE2eAbCommand } from './commands/queue-e2e-ab.js';
import { queueOwnerCommand } from './queue/seglog-owner-peer.js';
import { queueScaleCommand, queueScaleFillCommand, queueScaleMemoryCommand } from './commands/queue-scale.js';
import { bullmqAllocCommand, bullmqBenchCommand, bullmqOwnerCommand, bullmqRunCommand } from './commands/bullmq-bench.js';
import { randomGetCommand, randomGetReaderCommand } from './commands/random-get.js';
import { straceCommand } from './commands/strace.js';
import { tailsCommand } from './commands/tails.js';
import { zeroFillProbeCommand } from './commands/zero-fill-probe.js';
import { suiteCommand } from './commands/suite.js';
import { windowShapesCommand } from './commands/window-shapes.js';

const commands: readonly Command[] = [
  suiteCommand,
  quickstartCommand,
  probeCommand,
  straceCommand,
  windowShapesCommand,
  preallocateCommand,
  optionsAbCommand,
  appendCpuCommand,
  embeddedCpuCommand,
  profileTopCommand,
  oneAppenderCommand,
  checksumCostCommand,
  followCommand,
  followReaderCommand,
  openTimeCommand,
  tailsCommand,
  zeroFillProbeCommand,
  openTimeFillCommand,
  openTimeOpenCommand,
  jetstreamShipCommand,
  queueE2eCommand, queueE2eRunCommand, queueOwnerCommand, queueE2eAbCommand,
  queueScaleCommand, queueScaleMemoryCommand, queueScaleFillCommand,
  bullmqBenchCommand, bullmqRunCommand, bullmqOwnerCommand, bullmqAllocCommand,
  randomGetCommand,
  randomGetReaderCommand,
  deviceCommand,
  cellCommand,
];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'usage: node benchmarks/dist/main.js <command> [options]   (<command> --help for its options)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** A flag the command could not read: node's parseArgs errors, or our coded SEGLOG_INVALID_OPTION. */
function isArgumentError(error: unknown): boolean {
  if (isSeglogError(error, 'SEGLOG_INVALID_OPTION')) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = withoutSeparator(argv);
  if (name === undefined || name === 'help' || name === '--help') {
    console.log(overview());
    return name === undefined ? 2 : 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    console.error(`unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  if (rest.includes('--help')) {
    console.log(command.usage);
    return 0;
  }
  try {
    await command.run(rest);
    return 0;
  } catch (error) {
    if (!isArgumentError(error)) throw error;
    console.error(`${(error as Error).message}\n\n${command.usage}`);
    return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // A command may have set its own exit code (probe: 1 on FAIL); only an error here overrides it.
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
