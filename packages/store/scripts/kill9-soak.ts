/**
 * One job: run the SIGKILL crash cycles of test/kill9.test.ts for as long as asked.
 *   node --import=tsx --conditions=@seglog/source scripts/kill9-soak.ts --cycles 300 --seed 1
 * Cycles run in logs of --cycles-per-log (default 25) so no single log grows without bound; log k
 * uses seed S+k and alternates blockBytes 4096 and 512. A failing log's directory is kept and its
 * seed printed; rerun it alone with --seed <that seed> --cycles-per-log <n> --cycles <n>.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runKill9 } from '../test/helpers/fuzz-kill9.js';

const { values } = parseArgs({
  options: {
    cycles: { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    'cycles-per-log': { type: 'string', default: '25' },
    appenders: { type: 'string', default: '64' },
    quiet: { type: 'boolean', default: false },
  },
});

const cyclesTotal = Number(values.cycles);
const firstSeed = Number(values.seed);
const cyclesPerLog = Number(values['cycles-per-log']);
const appenders = Number(values.appenders);

async function main(): Promise<void> {
  const started = Date.now();
  let done = 0;
  let acknowledged = 0;
  let earlyKills = 0;
  let tornTails = 0;
  for (let k = 0; done < cyclesTotal; k++) {
    const seed = (firstSeed + k) >>> 0;
    const blockBytes = k % 2 === 0 ? 4096 : 512;
    const cycles = Math.min(cyclesPerLog, cyclesTotal - done);
    const dir = mkdtempSync(join(tmpdir(), 'seglog-kill9-soak-'));
    const onCycle = values.quiet ? undefined : (line: string): void => console.log(`  [seed ${seed}] ${line}`);
    try {
      const report = await runKill9({
        dir,
        seed,
        cycles,
        blockBytes,
        segmentBytes: 256 * 1024,
        appenders,
        ...(onCycle ? { onCycle } : {}),
      });
      rmSync(dir, { recursive: true, force: true });
      done += report.cycles;
      acknowledged += report.acknowledgedRecords;
      earlyKills += report.earlyKills;
      tornTails += report.tornTails;
      console.log(`log seed ${seed} (blockBytes ${blockBytes}): ${JSON.stringify(report)}; ${done}/${cyclesTotal} cycles`);
    } catch (error) {
      console.error(`FAILED: seed ${seed}, blockBytes ${blockBytes}, dir kept at ${dir}`);
      console.error(error);
      process.exitCode = 1;
      return;
    }
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`OK: ${done} kill cycles, ${acknowledged} acknowledged records checked, ${earlyKills} early kills, ${tornTails} torn tails, ${seconds} s`);
}

await main();
