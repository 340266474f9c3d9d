/**
 * One job: the long version of crash.sim.test.ts. Runs seeded crash cases (the same
 * runner, testkit's runCrashCase, on the store adapter test/helpers/crash-log.ts) from a
 * first seed upwards until the asked number of crash points is reached, printing progress
 * and then a summary with every failing seed.
 *
 *   node --import=tsx --conditions=@seglog/source packages/store/scripts/crash-soak.ts \
 *     --points 100000 --seed-from 1 [--progress-seconds 10] [--json] [--fault-ops writev,datasync|none]
 *
 * --fault-ops chooses what a case may fail once with EIO/ENOSPC mid-boot, after which the log is
 * reopened without a reboot (default writev, datasync, rename, syncDir, as in the test; none for
 * power cuts only).
 * Exit status 1 when any case failed. Replay one with SEGLOG_SEED=<seed> and the crash test.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_FAULT_OPS, addCaseStats, emptyCaseStats, runCrashCase } from '@seglog/testkit';
import type { CaseStats, FaultOp } from '@seglog/testkit';
import { storeCrashSystem } from '../test/helpers/crash-log.js';

interface SoakSummary extends CaseStats {
  pointsAsked: number;
  points: number;
  cases: number;
  seedFrom: number;
  seedTo: number;
  acks: number;
  reorderedCompletions: number;
  faultOps: string[];
  elapsedSeconds: number;
  failures: Array<{ seed: number; message: string }>;
}

function positiveInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`--${name} must be a non-negative integer, got ${text}`);
  return value;
}

const FAULT_OPS: readonly FaultOp[] = ['writev', 'datasync', 'sync', 'syncDir', 'open', 'read', 'rename', 'truncate', 'unlink'];

/** `--fault-ops writev,datasync` (or `none`); default: the crash test's. */
function faultOpsOf(text: string | undefined): readonly FaultOp[] {
  if (text === undefined) return DEFAULT_FAULT_OPS;
  if (text === 'none') return [];
  const ops = text.split(',').map((op) => op.trim());
  for (const op of ops) if (!FAULT_OPS.includes(op as FaultOp)) throw new TypeError(`--fault-ops: unknown operation ${op}`);
  return ops as FaultOp[];
}

interface SoakArgs {
  points: number;
  seedFrom: number;
  progressSeconds: number;
  json: boolean;
  faultOps: readonly FaultOp[];
}

function readArgs(): SoakArgs {
  const { values } = parseArgs({
    options: {
      points: { type: 'string' },
      'seed-from': { type: 'string' },
      'progress-seconds': { type: 'string' },
      'fault-ops': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  return {
    points: positiveInteger('points', values.points, 10_000),
    seedFrom: positiveInteger('seed-from', values['seed-from'], 1),
    progressSeconds: positiveInteger('progress-seconds', values['progress-seconds'], 10),
    json: values.json ?? false,
    faultOps: faultOpsOf(values['fault-ops']),
  };
}

function printProgress(summary: SoakSummary): void {
  const rate = summary.points / Math.max(summary.elapsedSeconds, 0.001);
  const percent = ((100 * summary.points) / summary.pointsAsked).toFixed(1);
  console.log(
    `[${summary.elapsedSeconds.toFixed(0)} s] ${summary.points}/${summary.pointsAsked} crash points (${percent}%), ` +
      `${summary.cases} cases, seeds ${summary.seedFrom}..${summary.seedTo}, ${summary.failures.length} failures, ${rate.toFixed(0)} points/s`,
  );
}

function printSummary(summary: SoakSummary): void {
  console.log('\ncrash soak summary');
  console.log(`  crash points      ${summary.points}`);
  console.log(`  cases (seeds)     ${summary.cases} (${summary.seedFrom}..${summary.seedTo})`);
  console.log(`  opens checked     ${summary.opens}`);
  console.log(`  crashes in open   ${summary.crashesInOpen} (recovery), in close ${summary.crashesInClose}`);
  console.log(`  torn tails        ${summary.tornTails} dropped by recovery`);
  console.log(`  unacked survivors ${summary.unackedSurvivors} records (checked to be the ones appended)`);
  console.log(`  segments created  ${summary.filesCreated}`);
  console.log(`  injected faults   ${summary.faults} failed the log (ops: ${summary.faultOps.join(', ') || 'none'})`);
  console.log(`  acknowledged      ${summary.acks} appends`);
  console.log(`  reordered calls   ${summary.reorderedCompletions} completed before a call issued earlier`);
  console.log(`  acked records lost ${summary.failures.length === 0 ? 0 : 'see failures'}`);
  console.log(`  elapsed           ${summary.elapsedSeconds.toFixed(1)} s`);
  console.log(`  failures          ${summary.failures.length}`);
  for (const failure of summary.failures) console.log(`    seed ${failure.seed}: ${failure.message}`);
}

async function main(): Promise<void> {
  const args = readArgs();
  const startedMs = Date.now();
  const summary: SoakSummary = {
    pointsAsked: args.points,
    points: 0,
    cases: 0,
    seedFrom: args.seedFrom,
    seedTo: args.seedFrom,
    acks: 0,
    reorderedCompletions: 0,
    ...emptyCaseStats(),
    faultOps: [...args.faultOps],
    elapsedSeconds: 0,
    failures: [],
  };
  let lastProgressMs = startedMs;
  for (let seed = args.seedFrom; summary.points < args.points; seed++) {
    summary.seedTo = seed;
    summary.cases++;
    try {
      const result = await runCrashCase(seed >>> 0, storeCrashSystem, { faultOps: args.faultOps });
      summary.points += result.crashPoints;
      summary.acks += result.acks;
      summary.reorderedCompletions += result.reorderedCompletions;
      addCaseStats(summary, result);
    } catch (error) {
      // A failing case still counts the seed; its crash points are not counted as passed.
      summary.failures.push({ seed: seed >>> 0, message: error instanceof Error ? error.message : String(error) });
      console.log(`FAIL seed ${seed >>> 0}: ${summary.failures.at(-1)!.message}`);
    }
    const nowMs = Date.now();
    summary.elapsedSeconds = (nowMs - startedMs) / 1000;
    if (args.progressSeconds > 0 && nowMs - lastProgressMs >= args.progressSeconds * 1000) {
      lastProgressMs = nowMs;
      printProgress(summary);
    }
  }
  printSummary(summary);
  if (args.json) console.log(JSON.stringify(summary));
  process.exitCode = summary.failures.length > 0 ? 1 : 0;
}

await main();
