import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBuilds, renderAb } from '../src/commands/queue-e2e-ab.js';
import { judgeQueueTarget, renderQueueE2e } from '../src/commands/queue-e2e.js';
import type { PeerSummary } from '../src/commands/queue-e2e.js';
import type { E2eResult } from '../src/queue/e2e-run.js';

const run: E2eResult = {
  messagesPerSecond: 1, p50Ms: 1, p99Ms: 1, maxMs: 1, measuredMessages: 1,
  clientCpuMicrosPerMessage: 1, serverCpuMicrosPerMessage: null, unexpectedAcks: 0, duplicateAcks: 0, unknownAcks: 0,
  sentMessages: 1,
};

/** A stand-in checkout: all parseBuilds looks for is benchmarks/dist/main.js. */
function fakeCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'seglog-ab-'));
  mkdirSync(join(dir, 'benchmarks', 'dist'), { recursive: true });
  writeFileSync(join(dir, 'benchmarks', 'dist', 'main.js'), '');
  return dir;
}

function row(peer: string, rate: number, p99: number, serverCpu: number | null = null): PeerSummary {
  return {
    peer, label: `label of ${peer}`, durability: 'd', skipped: null, runs: [run],
    medianMessagesPerSecond: rate, medianP50Ms: 1, medianP99Ms: p99,
    medianClientCpuMicrosPerMessage: 10, medianServerCpuMicrosPerMessage: serverCpu, unexpectedAcks: 0,
  };
}

test('the target judges seglog\'s best row (embedded or owner process) against the faster peer', (t) => {
  const summaries = [row('seglog', 40_000, 14), row('seglog-owner', 75_000, 9, 12), row('bullmq', 7_000, 2_500), row('pg-boss', 500, 4_000)];
  const target = judgeQueueTarget(summaries);
  t.like(target, { seglogRow: 'seglog-owner', fastestPeer: 'bullmq', lowerP99: true, met: true });
  t.is(Math.round(target.ratio! * 100), 1071);
  const table = renderQueueE2e(summaries, { producers: 64, concurrency: 64, warmupSeconds: 2, seconds: 5 }, 3);
  t.regex(table, /\| label of seglog-owner \| 75000 \| 1\.0 \| 9\.0 \| 10 \| 12 \|/);
  t.regex(table, /\| label of bullmq \| 7000 \| 1\.0 \| 2500\.0 \| 10 \| n\/a \|/);
  t.regex(table, /best seglog row, seglog-owner.*10\.7x, p99 lower: met/);
});

test('a seglog row that did not run is not judged; with no peer nothing is', (t) => {
  const skipped = { ...row('seglog-owner', 0, 0), skipped: 'no socket', runs: [] };
  t.like(judgeQueueTarget([row('seglog', 40_000, 14), skipped, row('bullmq', 7_000, 2_500)]), { seglogRow: 'seglog', met: false });
  t.like(judgeQueueTarget([row('seglog', 40_000, 14)]), { seglogRow: null, met: null });
});

test('a seglog row with an unexpected ack does not meet the target, and the table says so', (t) => {
  const seglog = { ...row('seglog', 100_000, 5), unexpectedAcks: 2 };
  const target = judgeQueueTarget([seglog, row('bullmq', 7_000, 2_500)]);
  t.like(target, { seglogRow: 'seglog', lowerP99: true, exactlyOnce: false, met: false });
  const table = renderQueueE2e([seglog, row('bullmq', 7_000, 2_500)], { producers: 64, concurrency: 64, warmupSeconds: 2, seconds: 5 }, 3);
  t.regex(table, /\| label of seglog \(2 unexpected acks\) \| 100000 \|/);
  t.regex(table, /p99 lower, unexpected acks: NOT met/);
});

test('an A/B names its builds label=checkout and refuses a missing build or one build', (t) => {
  const checkout = fakeCheckout();
  t.teardown(() => rmSync(checkout, { recursive: true, force: true }));
  const builds = parseBuilds(`a=${checkout},b=${checkout}`);
  t.deepEqual(builds.map((b) => b.label), ['a', 'b']);
  t.true(builds[0]!.script.endsWith('benchmarks/dist/main.js'));
  t.regex(t.throws(() => parseBuilds(`a=${checkout}`)).message, /SEGLOG_INVALID_OPTION: option --builds give at least two/);
  t.regex(t.throws(() => parseBuilds(`a=${checkout},a=${checkout}`)).message, /labels must differ/);
  t.regex(t.throws(() => parseBuilds(`a=${checkout},b=/nowhere`)).message, /\/nowhere\/benchmarks\/dist\/main\.js does not exist/);
  t.regex(t.throws(() => parseBuilds(`a=${checkout},=x`)).message, /bad item "=x"/);
});

test('the A/B table gives medians with their ranges, per build', (t) => {
  const runs = new Map([
    ['main', [{ ...run, clientCpuMicrosPerMessage: 15, messagesPerSecond: 60_000 }, { ...run, clientCpuMicrosPerMessage: 17, messagesPerSecond: 50_000 }, { ...run, clientCpuMicrosPerMessage: 14, messagesPerSecond: 70_000 }]],
    ['new', [{ ...run, clientCpuMicrosPerMessage: 11, messagesPerSecond: 80_000, unexpectedAcks: 1 }]],
  ]);
  const table = renderAb('seglog', [{ label: 'main', script: 'm' }, { label: 'new', script: 'n' }], runs);
  t.regex(table, /\| main \| 3 \| 15\.00 \(14\.00-17\.00\) \| 60000 \(50000-70000\) \| 1\.0 \| n\/a \| 0 \|/);
  t.regex(table, /\| new \| 1 \| 11\.00 \(11\.00-11\.00\) \| 80000 \(80000-80000\) \| 1\.0 \| n\/a \| 1 \|/);
});
