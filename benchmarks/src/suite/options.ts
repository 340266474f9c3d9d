/**
 * One job: read the suite's command line into settings, with the standard and --quick defaults.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listOf, nonNegativeInteger, positiveInteger, positiveNumber, withoutSeparator } from '../lib/args.js';
import { engineNames, type EngineName } from '../lib/cell.js';
import { defaultEngines, quickDefaultEngines, quickShape, scenarioNames, standardShape, type PlanShape, type ScenarioName } from './plan.js';
import type { RunSettings } from './run-cells.js';
import type { RandomGetSettings } from '../lib/random-get.js';
import type { FollowSettings } from '../lib/follow-latency.js';
import type { OpenTimeSettings } from '../lib/open-time.js';
import type { ShipSettings } from '../lib/jetstream-ship.js';
import { jetstreamCellSettings } from './jetstream-cell.js';
import { queueCellSettings, type QueueCellSettings } from '../queue/suite-cell.js';
import { bullmqCellSettings } from '../bullmq/suite-cell.js';
import type { BullmqBenchSettings } from '../commands/bullmq-bench.js';

export interface SuiteOptions {
  readonly quick: boolean;
  readonly shape: PlanShape;
  readonly scenarios: readonly ScenarioName[];
  readonly engines: readonly EngineName[];
  readonly repetitions: number;
  readonly timing: RunSettings;
  /** null: no strace pass. */
  readonly trace: RunSettings | null;
  readonly ceilingSeconds: number;
  readonly sequentialMiB: number;
  /** null: bench-results/suite-<timestamp>/ at the repository root. */
  readonly outDir: string | null;
  /** Also write the charts and tables into docs/benchmarks/. */
  readonly docs: boolean;
  /** --report FILE: run nothing, render the outputs again from this results.json. */
  readonly reportFrom: string | null;
  /** The random-get and reader-memory cell (lib/random-get.ts); null with --no-get. */
  readonly randomGet: RandomGetSettings | null;
  /** The open-time cell (lib/open-time.ts, issue 11); null with --no-open-time (absent in older results). */
  readonly openTime?: OpenTimeSettings | null;
  /** The follow-latency cell (lib/follow-latency.ts, issue 12); null with --no-follow. */
  readonly follow?: FollowSettings | null;
  /** The JetStream shipping cell (suite/jetstream-cell.ts); null with --no-jetstream. */
  readonly jetstream?: ShipSettings | null;
  /** The queue end-to-end cell (queue/suite-cell.ts); null with --no-queue. */
  readonly queue?: QueueCellSettings | null;
  /** The BullMQ cell (bullmq/suite-cell.ts, issue 14); null with --no-bullmq. */
  readonly bullmq?: BullmqBenchSettings | null;
}

export const usage = `usage: pnpm bench [-- options]     (node benchmarks/dist/main.js suite [options])
  --quick                 short version (about a minute and a half): fewer cells, 1 repetition, short windows
  --scenarios LIST        comma-separated, from: ${scenarioNames.join(', ')} (default: all)
  --engines LIST          comma-separated, from: ${engineNames.join(', ')}
                          (default: all; --quick: all but lmdb-overlap; seglog always runs)
  --seconds S             measured window per cell (default 1.5, --quick 0.4)
  --warmup-ms M           warm-up before each window (default 750, --quick 200)
  --repetitions N         runs of every cell; medians and spread are reported (default 3, --quick 1)
  --trace-seconds S       window of the strace pass (default 0.8, --quick 0.5)
  --no-trace              skip the strace pass (no syscall columns)
  --no-get                skip the random-get and reader-memory cell (a 1 GiB log; --quick: 128 MiB)
  --no-open-time          skip the open-time cell (openLog after SIGKILL on a 10 GiB log at 64 and 16 MiB
                          segments, 3 rounds; --quick: 1 GiB at 64 and 8 MiB, 1 round; needs that much free disk)
  --open-time-gib N       the open-time cell's log size instead (the target is stated for 10 GiB)
  --no-follow             skip the follow-latency cell (a follower in another process at 1,000 and 100,000 appends/s)
  --no-jetstream          skip the JetStream shipping cell (3 nats-server nodes; skipped anyway without nats-server)
  --no-queue              skip the queue end-to-end cell (seglog vs BullMQ vs pg-boss, issue 13)
  --no-bullmq             skip the BullMQ cell (BullMQ on seglog vs on Redis and PostgreSQL, issue 14)
  --out DIR               output folder (default bench-results/suite-<time>/)
  --docs                  also write charts and tables into docs/benchmarks/
  --report FILE           run nothing: render tables, targets and charts again from a results.json
                          (into its folder, or --out DIR)
`;

export function parseSuiteOptions(argv: readonly string[]): SuiteOptions {
  const { values } = parseArgs({
    args: withoutSeparator(argv),
    options: {
      quick: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      engines: { type: 'string' },
      seconds: { type: 'string' },
      'warmup-ms': { type: 'string' },
      repetitions: { type: 'string' },
      'trace-seconds': { type: 'string' },
      'no-trace': { type: 'boolean', default: false },
      'no-get': { type: 'boolean', default: false },
      'no-open-time': { type: 'boolean', default: false },
      'open-time-gib': { type: 'string' },
      'no-follow': { type: 'boolean', default: false },
      'no-jetstream': { type: 'boolean', default: false },
      'no-queue': { type: 'boolean', default: false },
      'no-bullmq': { type: 'boolean', default: false },
      out: { type: 'string' },
      docs: { type: 'boolean', default: false },
      report: { type: 'string' },
    },
  });
  const quick = values.quick === true;
  const chosen = listOf(values.engines, engineNames, '--engines') ?? [...(quick ? quickDefaultEngines : defaultEngines)];
  const warmupMillis = nonNegativeInteger(values['warmup-ms'], '--warmup-ms', quick ? 200 : 750);
  return {
    quick,
    shape: quick ? quickShape : standardShape,
    scenarios: listOf(values.scenarios, scenarioNames, '--scenarios') ?? [...scenarioNames],
    engines: chosen.includes('seglog') ? chosen : ['seglog', ...chosen],
    repetitions: positiveInteger(values.repetitions, '--repetitions', quick ? 1 : 3),
    timing: { warmupMillis, durationMillis: Math.round(positiveNumber(values.seconds, '--seconds', quick ? 0.4 : 1.5) * 1000) },
    trace: values['no-trace'] === true ? null : { warmupMillis: 200, durationMillis: Math.round(positiveNumber(values['trace-seconds'], '--trace-seconds', quick ? 0.5 : 0.8) * 1000) },
    ceilingSeconds: quick ? 1 : 2,
    sequentialMiB: quick ? 128 : 512,
    outDir: values.out === undefined ? null : resolve(values.out),
    docs: values.docs === true,
    reportFrom: values.report === undefined ? null : resolve(values.report),
    randomGet: values['no-get'] === true ? null : randomGetShape(quick),
    openTime: values['no-open-time'] === true ? null : openTimeShape(quick, values['open-time-gib']),
    follow: values['no-follow'] === true ? null : followShape(quick),
    jetstream: values['no-jetstream'] === true ? null : jetstreamCellSettings(quick),
    queue: values['no-queue'] === true ? null : queueCellSettings(quick),
    bullmq: values['no-bullmq'] === true ? null : bullmqCellSettings(quick),
  };
}

/** issue 11's cell: 1 KiB records in 2 MiB batches, a 32 MiB reader cache; a smaller log for --quick. */
function randomGetShape(quick: boolean): RandomGetSettings {
  const shape = { recordBytes: 1000, batchMiB: 2, cacheMiB: 32 };
  if (quick) return { ...shape, logMiB: 128, gets: 2000, coldGets: 100 };
  return { ...shape, logMiB: 1024, gets: 20_000, coldGets: 500 };
}

/**
 * issue 11's open-time cell: the target's 10 GiB log at 64 MiB (about 160 segments) and 16 MiB
 * (about 680) segments, medians of 3; --quick: 1 GiB at 64 and 8 MiB (16 and 128 segments), 1 round.
 */
export function openTimeShape(quick: boolean, gibText?: string): OpenTimeSettings {
  const shape = quick ? { gib: 1, segmentMiB: [64, 8], rounds: 1 } : { gib: 10, segmentMiB: [64, 16], rounds: 3 };
  return { ...shape, gib: positiveNumber(gibText, '--open-time-gib', shape.gib) };
}

/** issue 12's cell: the push wake-up at 1,000 and 100,000 appends/s, then an idle follower. */
function followShape(quick: boolean): FollowSettings {
  return { rates: [1000, 100_000], seconds: quick ? 1 : 3, warmupSeconds: quick ? 0.5 : 1, idleSeconds: quick ? 1 : 3, wakes: ['push'] };
}
