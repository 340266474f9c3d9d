/**
 * One job: check the targets against this run's own numbers (seglog against the best
 * durable peer and against the device ceiling, all measured in the same invocation), and check
 * each peer's durability by its flushes per acknowledged append.
 *
 * "Best durable peer" excludes engines that acknowledge before their data is flushed (NATS 2.9,
 * LMDB with overlapping sync) and the hand-written plain baseline counts as a peer like any other.
 */
import type { EngineInfo, EngineName } from '../lib/cell.js';
import { ratio } from '../report/stats.js';
import { renderMarkdownTable } from '../report/table.js';
import type { CeilingSummary, CellSummary } from './aggregate.js';
import type { FollowFigures } from '../lib/follow-latency.js';
import { slopeMicrosPerSegment, type OpenTimeFigures } from '../lib/open-time.js';

export type TargetStatus = 'PASS' | 'MISS' | 'n/a';

export interface TargetCheck {
  readonly target: string;
  readonly required: string;
  readonly measured: string;
  readonly status: TargetStatus;
}

export interface DurabilityCheck {
  readonly engine: EngineName;
  readonly declaredDurable: boolean;
  readonly setting: string;
  /** Flushes per append with one appender (each append its own commit), from the strace pass. */
  readonly syncsPerAppendAtOne: number | null;
  readonly appendsPerSyncAt256: number | null;
  readonly verdict: string;
}

function uniform(
  summaries: readonly CellSummary[],
  engine: EngineName,
  recordBytes: number,
  concurrency: number,
): CellSummary | undefined {
  return summaries.find(
    (s) => s.cell.engine === engine && s.cell.concurrency === concurrency && s.cell.workload.kind === 'uniform' && s.cell.workload.recordBytes === recordBytes,
  );
}

/** The durable non-seglog engine with the highest median appends/s for this uniform cell. */
export function bestDurablePeer(
  summaries: readonly CellSummary[],
  recordBytes: number,
  concurrency: number,
): CellSummary | undefined {
  let best: CellSummary | undefined;
  for (const s of summaries) {
    if (s.cell.engine === 'seglog' || !s.durable || s.appendsPerSecond === null) continue;
    if (s.cell.concurrency !== concurrency || s.cell.workload.kind !== 'uniform' || s.cell.workload.recordBytes !== recordBytes) continue;
    if (best === undefined || s.appendsPerSecond.median > best.appendsPerSecond!.median) best = s;
  }
  return best;
}

function check(
  target: string,
  required: string,
  measured: number | null | undefined,
  limit: number,
  atLeast: boolean,
  show: (v: number) => string,
): TargetCheck {
  if (measured === null || measured === undefined || !Number.isFinite(measured)) return { target, required, measured: 'not measured', status: 'n/a' };
  const pass = atLeast ? measured >= limit : measured <= limit;
  return { target, required, measured: show(measured), status: pass ? 'PASS' : 'MISS' };
}

const times = (v: number): string => `${v.toFixed(2)}x`;
const percent = (v: number): string => `${(v * 100).toFixed(1)}%`;

export function checkTargets(summaries: readonly CellSummary[], ceiling: CeilingSummary | null): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const at256 = uniform(summaries, 'seglog', 128, 256);
  const peer256 = bestDurablePeer(summaries, 128, 256);
  const peerName256 = peer256 === undefined ? 'no durable peer' : peer256.cell.engine;
  checks.push(
    check(`256 x 128 B: appends/s vs best durable peer (${peerName256})`, '>= 2.5x', ratio(at256?.appendsPerSecond?.median, peer256?.appendsPerSecond?.median), 2.5, true, times),
    check(`256 x 128 B: p99 vs ${peerName256}'s p99`, '<= 1x', ratio(at256?.p99Micros?.median, peer256?.p99Micros?.median), 1, false, times),
    check('256 x 128 B: syscalls per append (write family + syncs, strace)', '<= 0.01', at256?.trace?.syscallsPerAppend, 0.01, false, (v) => v.toFixed(4)),
    check('256 x 128 B: CPU per append', '<= 1.2 µs', at256?.cpuMicrosPerAppend?.median, 1.2, false, (v) => `${v.toFixed(2)} µs`),
  );
  const at16 = uniform(summaries, 'seglog', 128, 16);
  const peer16 = bestDurablePeer(summaries, 128, 16);
  checks.push(
    check(`16 x 128 B: appends/s vs best durable peer (${peer16?.cell.engine ?? 'none'})`, '>= 2.5x', ratio(at16?.appendsPerSecond?.median, peer16?.appendsPerSecond?.median), 2.5, true, times),
  );
  const at1 = uniform(summaries, 'seglog', 128, 1);
  checks.push(
    check('1 appender: appends/s vs a bare async O_DSYNC write loop', '>= 90%', ratio(at1?.appendsPerSecond?.median, ceiling?.asyncDsyncWritesPerSecond?.median), 0.9, true, percent),
    check("1 appender: p99 vs device's p99", '<= 1.3x', ratio(at1?.p99Micros?.median, ceiling?.syncedP99Micros.median), 1.3, false, times),
  );
  // Issue 11 item 4: the worst latency at many appenders, against LMDB's in the same run.
  for (const appenders of [64, 256]) {
    const seglog = uniform(summaries, 'seglog', 128, appenders)?.maxMicros?.median;
    const lmdb = uniform(summaries, 'lmdb', 128, appenders)?.maxMicros?.median;
    checks.push(check(`${appenders} x 128 B: worst latency vs LMDB's`, '<= 1.5x', ratio(seglog, lmdb), 1.5, false, times));
  }
  for (const recordBytes of [1024, 65536]) {
    const cell = uniform(summaries, 'seglog', recordBytes, 256);
    const label = recordBytes === 1024 ? '1 KiB' : '64 KiB';
    checks.push(
      check(`256 x ${label}: MB/s vs sequential write bandwidth`, '>= 85%', ratio(cell?.megabytesPerSecond?.median, ceiling?.sequentialMegabytesPerSecond.median), 0.85, true, percent),
    );
  }
  return checks;
}

/**
 * Issue 12's follow targets, from the follow-latency cell: a follower in another process receives
 * a record within 2 ms (median) and 10 ms (p99) of its acknowledgement at each rate, and an idle
 * follower costs under 1% of a core. Measured with the default wake-ups (the writer's socket).
 */
export function checkFollowTargets(follow: FollowFigures | string | null): TargetCheck[] {
  if (follow === null) return [];
  const rows = typeof follow === 'string' ? [] : follow.rows.filter((row) => row.wake === 'push');
  const checks: TargetCheck[] = [];
  const ms = (v: number): string => `${v.toFixed(2)} ms`;
  for (const rate of [1000, 100_000]) {
    const row = rows.find((candidate) => candidate.ratePerSecond === rate);
    const label = `follow in another process at ${rate.toLocaleString('en-US')} appends/s`;
    checks.push(
      check(`${label}: median ack -> received`, '<= 2 ms', row?.p50Millis, 2, false, ms),
      check(`${label}: p99 ack -> received`, '<= 10 ms', row?.p99Millis, 10, false, ms),
    );
  }
  const idle = rows.length === 0 ? undefined : Math.max(...rows.map((row) => row.idleCpuPercent));
  checks.push(check('idle follower: CPU (of one core)', '< 1%', idle, 1, false, (v) => `${v.toFixed(3)}%`));
  return checks;
}

/** Issue 11's open-time bound: cold `openLog` after SIGKILL, at each segment size. */
export const openTimeColdLimitMillis = 200;
/**
 * "Independent of segment count", as a number: open time may grow by at most this much per sealed
 * segment. At 0.1 ms, the 683 segments of a 10 GiB log of 16 MiB segments add at most 68 ms, a third
 * of the 200 ms budget; 1 ms per segment would let the segment count alone break the target.
 */
export const openTimeSlopeLimitMicros = 100;

/**
 * Issue 11's open-time targets, from the open-time cell: cold open <= 200 ms at each segment size,
 * and a slope per sealed segment <= 0.1 ms, from the cold opens (warm ones when the page cache could
 * not be dropped, said in the row's label).
 */
export function checkOpenTimeTargets(
  openTime: OpenTimeFigures | string | null,
  settings: { readonly gib: number; readonly segmentMiB: readonly number[] } | null,
): TargetCheck[] {
  if (openTime === null) return [];
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  const checks: TargetCheck[] = [];
  const gib = typeof openTime === 'string' ? settings?.gib : openTime.gib;
  const sizes = typeof openTime === 'string' ? (settings?.segmentMiB ?? []) : openTime.rows.map((row) => row.segmentMiB);
  for (const segmentMiB of sizes) {
    const row = typeof openTime === 'string' ? undefined : openTime.rows.find((r) => r.segmentMiB === segmentMiB);
    const count = row === undefined ? '' : ` (${row.segments} segments)`;
    const label = `openLog after SIGKILL, ${gib ?? '?'} GiB log, ${segmentMiB} MiB segments${count}: cold`;
    checks.push(check(label, `<= ${openTimeColdLimitMillis} ms`, row?.coldMs, openTimeColdLimitMillis, false, ms));
  }
  const rows = typeof openTime === 'string' ? [] : openTime.rows;
  const cold = slopeMicrosPerSegment(rows, (row) => row.coldMs);
  const slope = cold ?? slopeMicrosPerSegment(rows, (row) => row.warmMs);
  const which = cold === null && slope !== null ? 'warm (page cache not dropped)' : 'cold';
  checks.push(
    check(`openLog: time added per sealed segment, ${which}`, `<= ${openTimeSlopeLimitMicros / 1000} ms`, slope, openTimeSlopeLimitMicros, false, (v) => `${(v / 1000).toFixed(3)} ms`),
  );
  return checks;
}

export function checkDurability(summaries: readonly CellSummary[], infos: readonly EngineInfo[]): DurabilityCheck[] {
  const engines = new Set(summaries.map((s) => s.cell.engine));
  return infos
    .filter((info) => engines.has(info.name))
    .map((info) => {
      const one = uniform(summaries, info.name, 128, 1)?.trace?.syncsPerAppend ?? null;
      const many = uniform(summaries, info.name, 128, 256)?.trace?.appendsPerSync ?? null;
      return {
        engine: info.name,
        declaredDurable: info.durable,
        setting: info.durability,
        syncsPerAppendAtOne: one,
        appendsPerSyncAt256: many,
        verdict: verdictOf(info, one),
      };
    });
}

function verdictOf(info: EngineInfo, syncsPerAppend: number | null): string {
  if (syncsPerAppend === null) return info.durable ? 'durable by its setting (not traced in this run)' : 'NOT durable (by its documented setting)';
  // One appender: every acknowledged append is its own commit, so a durable engine flushes at least once per append.
  const flushesEach = syncsPerAppend >= 0.95;
  if (info.durable) return flushesEach ? 'durable: >= 1 flush per acknowledged append' : 'CHECK FAILED: fewer flushes than acknowledged appends';
  return flushesEach ? 'NOT durable: it flushes, but its setting acknowledges before the flush' : 'NOT durable: acknowledges without flushing';
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  return renderMarkdownTable(
    [
      { title: 'target', align: 'left' },
      { title: 'required', align: 'right' },
      { title: 'measured', align: 'right' },
      { title: 'result', align: 'left' },
    ],
    checks.map((c) => [c.target, c.required, c.measured, c.status]),
  );
}

export function renderDurability(checks: readonly DurabilityCheck[]): string {
  return renderMarkdownTable(
    [
      { title: 'engine', align: 'left' },
      { title: 'setting', align: 'left' },
      { title: 'fsyncs/append at 1 appender', align: 'right' },
      { title: 'appends/fsync at 256', align: 'right' },
      { title: 'verdict', align: 'left' },
    ],
    checks.map((c) => [
      c.engine,
      c.setting,
      c.syncsPerAppendAtOne === null ? '' : c.syncsPerAppendAtOne.toFixed(3),
      c.appendsPerSyncAt256 === null ? '' : c.appendsPerSyncAt256.toFixed(1),
      c.verdict,
    ]),
  );
}

export interface Expectation {
  readonly what: string;
  readonly expected: string;
  readonly measured: string;
  readonly holds: boolean | null;
}

/** The brief's description of this machine, checked against this run (informational, not targets). */
export function checkExpectations(summaries: readonly CellSummary[], ceiling: CeilingSummary | null): Expectation[] {
  const rate = ceiling?.syncedWritesPerSecond.median;
  const p99 = ceiling?.syncedP99Micros.median;
  const expectations: Expectation[] = [
    {
      what: 'device: preallocated 4 KiB write + fdatasync, QD1',
      expected: 'about 7,000/s, p99 about 260 µs',
      measured: rate === undefined || p99 === undefined ? 'not measured' : `${Math.round(rate).toLocaleString('en-US')}/s, p99 ${Math.round(p99).toLocaleString('en-US')} µs`,
      holds: rate === undefined || p99 === undefined ? null : rate >= 7000 * 0.8 && p99 <= 260 * 1.5,
    },
  ];
  const ranking = (concurrency: number, expected: readonly EngineName[], label: string): void => {
    const ranked = summaries
      .filter((s) => s.cell.engine !== 'seglog' && s.durable && s.appendsPerSecond !== null && s.cell.concurrency === concurrency && s.cell.workload.kind === 'uniform' && s.cell.workload.recordBytes === 128)
      .sort((a, b) => b.appendsPerSecond!.median - a.appendsPerSecond!.median)
      .map((s) => s.cell.engine);
    if (ranked.length === 0) return;
    const top = ranked.slice(0, expected.length);
    expectations.push({
      what: `strongest durable peers, ${concurrency} appender${concurrency === 1 ? '' : 's'} x 128 B`,
      expected: label,
      measured: ranked.slice(0, 3).join(' > '),
      holds: top.every((engine, i) => engine === expected[i]),
    });
  };
  ranking(1, ['sqlite'], 'sqlite first');
  ranking(16, ['lmdb', 'redis'], 'lmdb, then redis');
  ranking(256, ['lmdb', 'redis'], 'lmdb, then redis');
  return expectations;
}

export function renderExpectations(expectations: readonly Expectation[]): string {
  return renderMarkdownTable(
    [
      { title: 'expectation', align: 'left' },
      { title: 'expected', align: 'left' },
      { title: 'this run', align: 'left' },
      { title: 'holds', align: 'left' },
    ],
    expectations.map((e) => [e.what, e.expected, e.measured, e.holds === null ? 'n/a' : e.holds ? 'yes' : 'no']),
  );
}
