import test from 'ava';
import { judgeQueueTarget, renderQueueE2e } from '../src/commands/queue-e2e.js';
import type { PeerSummary } from '../src/commands/queue-e2e.js';
import type { E2eResult } from '../src/queue/e2e-run.js';

const run: E2eResult = {
  messagesPerSecond: 1, p50Ms: 1, p99Ms: 1, maxMs: 1, measuredMessages: 1,
  clientCpuMicrosPerMessage: 1, serverCpuMicrosPerMessage: null, unexpectedAcks: 0, duplicateAcks: 0, unknownAcks: 0,
  sentMessages: 1,
};

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
