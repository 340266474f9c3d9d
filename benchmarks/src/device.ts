/**
 * One job: measure the device ceiling (lib/device-ceiling.ts) in a process of its own and print
 * it as one JSON line.
 *
 *   node dist/device.js [--seconds 2] [--sequential-mib 512]
 */
import { parseArgs } from 'node:util';
import { measureDeviceCeiling } from './lib/device-ceiling.js';
import { withTempDir } from './lib/tmpdir.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '2' }, 'sequential-mib': { type: 'string', default: '512' } },
  });
  const syncedSeconds = Number(values.seconds);
  const sequentialBytes = Number(values['sequential-mib']) * 1024 * 1024;
  if (!(syncedSeconds > 0) || !(sequentialBytes > 0)) throw new TypeError('--seconds and --sequential-mib must be positive');
  const ceiling = await withTempDir((dir) => Promise.resolve(measureDeviceCeiling({ dir, syncedSeconds, sequentialBytes })));
  process.stdout.write(`${JSON.stringify(ceiling)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
