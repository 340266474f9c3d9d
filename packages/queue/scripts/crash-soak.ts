/**
 * The long run of the queue's crash test: `node --import=tsx --conditions=@seglog/source
 * scripts/crash-soak.ts <first seed> <count>` runs that many cases of test/helpers/crash-case.ts
 * and prints each failure (with its SEGLOG_SEED) and the totals.
 */
import { addCrashTotals, runQueueCrashCase } from '../test/helpers/crash-case.js';

const first = Number(process.argv[2] ?? 10_000);
const count = Number(process.argv[3] ?? 1000);
const totals: Record<string, number> = {};
let failures = 0;
for (let seed = first; seed < first + count; seed++) {
  try {
    const result = await runQueueCrashCase(seed);
    addCrashTotals(totals, result);
  } catch (error) {
    failures++;
    console.log(error instanceof Error ? error.message : String(error));
  }
}
console.log(JSON.stringify({ cases: count, failures, ...totals }));
