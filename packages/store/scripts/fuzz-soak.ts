/**
 * One job: run the corruption fuzz of test/corruption-fuzz.test.ts over a long range of seeds.
 *   node --import=tsx --conditions=@seglog/source scripts/fuzz-soak.ts --cases 50000 --seed 1
 * Every --cases-per-base cases (default 5000) the base logs are rebuilt from the next seed, so the
 * layouts vary too. Violations are printed as they happen (up to --max-failures, default 20) with
 * the run seed and case seed; replay one with
 *   SEGLOG_SEED=<run seed> SEGLOG_FUZZ_CASE=<case seed> npx ava test/corruption-fuzz.test.ts
 */
import { parseArgs } from 'node:util';
import { buildBaseLog, VARIANTS } from '../test/helpers/fuzz-base-log.js';
import { FuzzViolation, runFuzzCase } from '../test/helpers/fuzz-case.js';
import type { CaseOutcome } from '../test/helpers/fuzz-case.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '50000' },
    seed: { type: 'string', default: '1' },
    'cases-per-base': { type: 'string', default: '5000' },
    'max-failures': { type: 'string', default: '20' },
  },
});

const casesTotal = Number(values.cases);
const firstSeed = Number(values.seed);
const casesPerBase = Number(values['cases-per-base']);
const failuresMax = Number(values['max-failures']);

async function main(): Promise<void> {
  const started = Date.now();
  const counts: Record<CaseOutcome, number> = { refused: 0, 'read-failed': 0, opened: 0 };
  let failures = 0;
  let done = 0;
  // Runs mirror the test: run seed S builds its bases from S, S+1, S+2 and runs cases S, S+1, ...
  for (let runSeed = firstSeed; done < casesTotal && failures < failuresMax; runSeed += casesPerBase) {
    const bases = await Promise.all(VARIANTS.map((variant, i) => buildBaseLog(variant, (runSeed + i) >>> 0)));
    const cases = Math.min(casesPerBase, casesTotal - done);
    for (let i = 0; i < cases && failures < failuresMax; i++) {
      const caseSeed = (runSeed + i) >>> 0;
      try {
        counts[await runFuzzCase(bases[i % bases.length]!, caseSeed)]++;
      } catch (error) {
        failures++;
        const kind = error instanceof FuzzViolation ? 'VIOLATION' : 'CRASH';
        console.error(`${kind} (run seed ${runSeed}, case seed ${caseSeed}): ${(error as Error).message}`);
        if (!(error instanceof FuzzViolation)) console.error(error);
      }
      done++;
    }
    console.log(`${done}/${casesTotal} cases, ${JSON.stringify(counts)}, ${failures} failures, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  console.log(`${failures === 0 ? 'OK' : 'FAILED'}: ${done} cases from seed ${firstSeed}, ${JSON.stringify(counts)}, ${failures} failures`);
  if (failures > 0) process.exitCode = 1;
}

await main();
