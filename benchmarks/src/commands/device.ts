/**
 * One job: measure the device ceiling (lib/device-ceiling.ts) in this process and print it as one
 * JSON line. The suite runs it in a child process at the start of each repetition.
 */
import { parseArgs } from 'node:util';
import { positiveNumber } from '../lib/args.js';
import { measureDeviceCeiling, type DeviceCeiling } from '../lib/device-ceiling.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Command } from './command.js';

export const deviceCommand: Command = {
  name: 'device',
  summary: "this disk's ceiling: 4 KiB write + fdatasync at queue depth 1, async O_DSYNC writes, sequential bandwidth (JSON)",
  usage: 'usage: main.js device [--seconds 2] [--sequential-mib 512]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { seconds: { type: 'string' }, 'sequential-mib': { type: 'string' } } });
    const syncedSeconds = positiveNumber(values.seconds, '--seconds', 2);
    const sequentialBytes = positiveNumber(values['sequential-mib'], '--sequential-mib', 512) * 1024 * 1024;
    const measure = (dir: string): Promise<DeviceCeiling> =>
      measureDeviceCeiling({ dir, syncedSeconds, sequentialBytes });
    const ceiling = await withTempDir(measure);
    process.stdout.write(`${JSON.stringify(ceiling)}\n`);
  },
};
