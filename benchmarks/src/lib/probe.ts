/**
 * One job: the flush probe behind `seglog bench --probe` (and `main.js probe`): measure this
 * disk's flush latency, say which commit window the adaptive policy would pick for it, and judge
 * it against a stated threshold, as `etcdctl check perf` does.
 *
 * The flush is a preallocated 4 KiB write + fdatasync at queue depth 1 (lib/device-ceiling.ts),
 * synchronous calls and nothing else in between: the disk, not seglog. The threshold defaults to
 * 10 ms at p99, the flush time beyond which etcd's hardware guide calls a disk too slow for a
 * write-ahead log (its wal_fsync_duration_seconds p99 guidance).
 */
import { measureSyncedWrites, type SyncedWriteFigures } from './device-ceiling.js';
import { adaptiveWindowMaxMicrosDefault, adaptiveWindowMicros } from './store-names.js';
import { withTempDir } from './tmpdir.js';

export const probeDefaults = {
  seconds: 2,
  thresholdP99Micros: 10_000,
  /** The store's default `commitWindow.adaptive.maxMicros`. */
  windowMaxMicros: adaptiveWindowMaxMicrosDefault,
} as const;

export interface ProbeOptions {
  /** Where to probe; a fresh temporary directory under the OS temp dir when absent. */
  readonly dir?: string;
  readonly seconds?: number;
  readonly thresholdP99Micros?: number;
  readonly windowMaxMicros?: number;
}

export interface ProbeResult {
  readonly flush: SyncedWriteFigures;
  /** The adaptive window for the median flush, µs, when load engages it (0 under light load). */
  readonly adaptiveWindowMicros: number;
  readonly thresholdP99Micros: number;
  readonly pass: boolean;
}

export async function probeFlush(options: ProbeOptions = {}): Promise<ProbeResult> {
  const seconds = options.seconds ?? probeDefaults.seconds;
  const thresholdP99Micros = options.thresholdP99Micros ?? probeDefaults.thresholdP99Micros;
  const measure = (dir: string): SyncedWriteFigures => measureSyncedWrites(dir, seconds);
  const { dir } = options;
  const flush = dir === undefined ? await withTempDir((temp) => Promise.resolve(measure(temp))) : measure(dir);
  return judgeProbe(flush, thresholdP99Micros, options.windowMaxMicros ?? probeDefaults.windowMaxMicros);
}

/** The verdict and window for measured flushes (pure, so tests can give it known figures). */
export function judgeProbe(
  flush: SyncedWriteFigures,
  thresholdP99Micros: number,
  windowMaxMicros: number,
): ProbeResult {
  return {
    flush,
    adaptiveWindowMicros: adaptiveWindowMicros(flush.latencyMicros.p50, windowMaxMicros),
    thresholdP99Micros,
    pass: flush.writes > 0 && flush.latencyMicros.p99 <= thresholdP99Micros,
  };
}

export function describeProbe(result: ProbeResult): string {
  const { flush } = result;
  return [
    `flush (4 KiB write + fdatasync, queue depth 1): ${Math.round(flush.writesPerSecond).toLocaleString('en-US')}/s, p50 ${Math.round(flush.latencyMicros.p50)} µs, p99 ${Math.round(flush.latencyMicros.p99)} µs, max ${Math.round(flush.latencyMicros.max)} µs`,
    `adaptive commit window under load: ${result.adaptiveWindowMicros.toFixed(0)} µs (0 while appends are too sparse to meet in one flush)`,
    `${result.pass ? 'PASS' : 'FAIL'}: flush p99 ${Math.round(flush.latencyMicros.p99)} µs ${result.pass ? '<=' : '>'} ${result.thresholdP99Micros} µs`,
  ].join('\n');
}
