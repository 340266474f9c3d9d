/**
 * One job: read a V8 CPU profile (`node --cpu-prof`) and print the functions with the most self
 * time, as a share of the sampled time and of the time the thread was busy (not idle), so the
 * "What limits each missed target" table in docs/benchmarks.md can be re-taken with one command:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof benchmarks/dist/main.js append-cpu --modes instant --rounds 1
 *   node benchmarks/dist/main.js profile-top /tmp/prof/*.cpuprofile --top 20
 *
 * A second table sums self time per area (packages/<name>, benchmarks, node_modules, node:internal,
 * native and V8): how the docs split the store's own code from the driver's.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { SeglogError } from '@seglog/types';
import { nonNegativeInteger, positiveInteger } from '../lib/args.js';
import type { Command } from './command.js';

export interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds; each sample is `timeDeltas` after the one before it, the first after `startTime`. */
  readonly startTime?: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** V8's pseudo-functions for a thread that is not running JavaScript or native code of ours. */
const IDLE = '(idle)';

function isProfile(value: unknown): value is CpuProfile {
  const profile = value as Partial<CpuProfile> | null;
  return Array.isArray(profile?.nodes) && Array.isArray(profile.samples) && Array.isArray(profile.timeDeltas);
}

/** `packages/store/dist/open-batch.js` from a file URL; native and node's own frames as they are. */
function shortUrl(url: string): string {
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) return url.slice(modules + 1);
  const at = url.search(/\/(packages|benchmarks)\//);
  return at >= 0 ? url.slice(at + 1) : url;
}

/** Which part of the program a frame belongs to, for the per-area totals. */
function areaOf(url: string): string {
  const short = shortUrl(url);
  if (short.startsWith('packages/')) return short.split('/').slice(0, 2).join('/');
  if (short.startsWith('benchmarks/')) return 'benchmarks';
  if (short.startsWith('node_modules/')) return 'node_modules';
  if (short.startsWith('node:')) return 'node:internal';
  return '(native and V8)';
}

export interface SelfTimes {
  readonly totalMicros: number;
  readonly idleMicros: number;
  readonly byFunction: Map<string, number>;
  readonly byArea: Map<string, number>;
}

/** `skipMicros`: leave out the samples of the profile's first microseconds (start-up and warm-up). */
export function selfTimes(profile: CpuProfile, skipMicros = 0): SelfTimes {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let totalMicros = 0;
  let idleMicros = 0;
  let elapsedMicros = 0;
  profile.samples.forEach((id, index) => {
    const micros = profile.timeDeltas[index] ?? 0;
    elapsedMicros += micros;
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined || elapsedMicros <= skipMicros) return;
    totalMicros += micros;
    if (frame.functionName === IDLE) {
      idleMicros += micros;
      return;
    }
    const key = `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const area = areaOf(frame.url);
    byArea.set(area, (byArea.get(area) ?? 0) + micros);
  });
  return { totalMicros, idleMicros, byFunction, byArea };
}

function render(file: string, times: SelfTimes, top: number): string {
  const busy = times.totalMicros - times.idleMicros;
  const percent = (part: number, whole: number): string => `${((100 * part) / Math.max(whole, 1)).toFixed(1)}%`;
  const lines = [
    `${file}: ${(times.totalMicros / 1000).toFixed(0)} ms sampled, idle ${percent(times.idleMicros, times.totalMicros)}`,
    '| self, % of busy | self, % of all | function |',
    '| ---: | ---: | --- |',
  ];
  const sorted = (map: Map<string, number>): Array<[string, number]> => [...map].sort((a, b) => b[1] - a[1]);
  for (const [name, micros] of sorted(times.byFunction).slice(0, top)) {
    lines.push(`| ${percent(micros, busy)} | ${percent(micros, times.totalMicros)} | \`${name}\` |`);
  }
  lines.push('', '| self, % of busy | area |', '| ---: | --- |');
  for (const [area, micros] of sorted(times.byArea)) lines.push(`| ${percent(micros, busy)} | ${area} |`);
  return lines.join('\n');
}

export const profileTopCommand: Command = {
  name: 'profile-top',
  summary: 'the functions with the most self time in V8 CPU profiles (node --cpu-prof), and per-package totals',
  usage:
    'usage: main.js profile-top <file.cpuprofile>... [--top 25] [--skip-ms 0]\n' +
    '  --skip-ms: leave out the first milliseconds of each profile (module loading, the log opening, warm-up)',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { top: { type: 'string' }, 'skip-ms': { type: 'string' } },
      allowPositionals: true,
    });
    if (positionals.length === 0) throw SeglogError.invalidOption('<file.cpuprofile>', 'name at least one profile');
    const top = positiveInteger(values.top, '--top', 25);
    const skipMicros = nonNegativeInteger(values['skip-ms'], '--skip-ms', 0) * 1000;
    for (const file of positionals) {
      const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
      if (!isProfile(parsed)) throw SeglogError.invalidOption('<file.cpuprofile>', `${file} is not a V8 CPU profile`);
      console.log(`${render(file, selfTimes(parsed, skipMicros), top)}\n`);
    }
  },
};
