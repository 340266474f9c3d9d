/**
 * One job: an A/B of two or more builds (checkouts) of seglog on one row of the end-to-end queue
 * benchmark, in one run: each round runs `queue-e2e-run <peer>` of every build once, in a fresh
 * child process of that build, the order rotating from round to round so load drifts hit all
 * alike, and prints each run, then medians with their ranges. Client CPU per message is the figure
 * to compare on a shared machine; messages/s moves with the load of the moment.
 *
 *   flock /tmp/seglog-bench.lock node benchmarks/dist/main.js queue-e2e-ab seglog \
 *     --builds main=/work/main,harness=/work/wt/harness --rounds 5
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SeglogError } from '@seglog/types';
import { positiveInteger, positiveNumber } from '../lib/args.js';
import { runChildJson } from '../lib/child.js';
import type { E2eResult, E2eShape } from '../queue/e2e-run.js';
import { median, rotate } from '../report/stats.js';
import type { Command } from './command.js';
import { queuePeers } from './queue-e2e.js';

const runTimeoutMillis = 600_000;

export interface AbBuild {
  readonly label: string;
  /** That build's benchmarks/dist/main.js. */
  readonly script: string;
}

/** `label=checkout,label=checkout`: each checkout must have been built (benchmarks/dist/main.js). */
export function parseBuilds(text: string | undefined): AbBuild[] {
  const items = (text ?? '').split(',').filter((item) => item !== '');
  const builds = items.map((item): AbBuild => {
    const at = item.indexOf('=');
    if (at <= 0 || at === item.length - 1) throw SeglogError.invalidOption('--builds', `bad item "${item}" (want label=checkout)`);
    const script = join(item.slice(at + 1), 'benchmarks', 'dist', 'main.js');
    if (!existsSync(script)) throw SeglogError.invalidOption('--builds', `${script} does not exist (run pnpm build there)`);
    return { label: item.slice(0, at), script };
  });
  if (builds.length < 2) throw SeglogError.invalidOption('--builds', 'give at least two builds, label=checkout,label=checkout');
  if (new Set(builds.map((b) => b.label)).size !== builds.length) throw SeglogError.invalidOption('--builds', 'labels must differ');
  return builds;
}

const range = (values: readonly number[], digits: number): string =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}-${Math.max(...values).toFixed(digits)})`;

/** The medians table: one row per build. */
export function renderAb(
  peer: string,
  builds: readonly AbBuild[],
  runs: ReadonlyMap<string, readonly E2eResult[]>,
): string {
  const lines = [
    `| build (${peer}) | runs | client CPU µs/msg | messages/s | p99 ms | server CPU µs/msg | unexpected acks |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const build of builds) {
    const list = runs.get(build.label) ?? [];
    if (list.length === 0) continue;
    const server = list.map((r) => r.serverCpuMicrosPerMessage).filter((v): v is number => typeof v === 'number');
    const cells = [
      list.length,
      range(list.map((r) => r.clientCpuMicrosPerMessage), 2),
      range(list.map((r) => r.messagesPerSecond), 0),
      median(list.map((r) => r.p99Ms)).toFixed(1),
      server.length === 0 ? 'n/a' : range(server, 2),
      list.reduce((sum, r) => sum + r.unexpectedAcks, 0),
    ];
    lines.push(`| ${build.label} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export const queueE2eAbCommand: Command = {
  name: 'queue-e2e-ab',
  summary: 'A/B of builds (checkouts) on one queue-e2e row: rotating order, medians of client CPU per message',
  usage: `usage: main.js queue-e2e-ab <peer> --builds label=checkout,label=checkout[,...] [--rounds 5] [--seconds 4]
           [--warmup-seconds 1] [--producers 64] [--concurrency 64]
  <peer>    one of ${queuePeers.map((p) => p.name).join(', ')}
  --builds  checkouts built with pnpm build (their benchmarks/dist/main.js runs), each with a label`,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        builds: { type: 'string' },
        rounds: { type: 'string' },
        seconds: { type: 'string' },
        'warmup-seconds': { type: 'string' },
        producers: { type: 'string' },
        concurrency: { type: 'string' },
      },
    });
    const [peer] = positionals;
    if (peer === undefined || !queuePeers.some((p) => p.name === peer)) {
      throw SeglogError.invalidOption('<peer>', `must be one of ${queuePeers.map((p) => p.name).join(', ')}, got ${String(peer)}`);
    }
    const builds = parseBuilds(values.builds);
    const rounds = positiveInteger(values.rounds ?? '5', '--rounds');
    const shape: E2eShape = {
      producers: positiveInteger(values.producers ?? '64', '--producers'),
      concurrency: positiveInteger(values.concurrency ?? '64', '--concurrency'),
      warmupSeconds: positiveNumber(values['warmup-seconds'], '--warmup-seconds', 1),
      seconds: positiveNumber(values.seconds, '--seconds', 4),
    };
    const runs = new Map<string, E2eResult[]>(builds.map((b) => [b.label, []]));
    for (let round = 0; round < rounds; round++) {
      for (const build of rotate(builds, round)) {
        const args = [peer, JSON.stringify(shape)];
        const result = await runChildJson<E2eResult>({ command: 'queue-e2e-run', script: build.script, args, timeoutMillis: runTimeoutMillis });
        runs.get(build.label)!.push(result);
        console.error(`  round ${round + 1}/${rounds} ${build.label}: ${result.clientCpuMicrosPerMessage.toFixed(2)} µs/msg, ` +
          `${Math.round(result.messagesPerSecond)} msg/s, p99 ${result.p99Ms.toFixed(1)} ms`);
      }
    }
    console.log(renderAb(peer, builds, runs));
  },
};
