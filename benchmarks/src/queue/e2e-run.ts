/**
 * One job: one measurement of one peer, end to end: `producers` loops each enqueue a 128-byte
 * message and wait until it is durable, then the next (closed loop); a consumer with
 * `concurrency` handlers acks each one, durably. After `warmupSeconds`, a window of `seconds`
 * counts the acks that completed in it (messages/s) and the end-to-end latency of every message
 * sent in it: from the enqueue call to its ack being durable. Then the producers stop and the
 * consumer drains what is left (so no message is lost between systems' figures).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeMessage, nowMs, sentAtMs } from './queue-peer.js';
import type { QueuePeer } from './queue-peer.js';

export interface E2eShape {
  readonly producers: number;
  readonly concurrency: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

export interface E2eResult {
  readonly messagesPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly measuredMessages: number;
  /** CPU of this (client) process per acked message, µs: servers' CPU not included. */
  readonly clientCpuMicrosPerMessage: number;
  /** CPU of the system's server process per acked message, µs, where the peer reports it (else null). */
  readonly serverCpuMicrosPerMessage: number | null;
  /** Acks of messages never enqueued or acked twice: must be 0. */
  readonly unexpectedAcks: number;
}

const drainTimeoutMs = 120_000;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)]!;
}

export async function measureE2e(peer: QueuePeer, shape: E2eShape): Promise<E2eResult> {
  let windowStart = Number.POSITIVE_INFINITY;
  let windowEnd = Number.POSITIVE_INFINITY;
  let ackedInWindow = 0;
  let enqueued = 0;
  let acked = 0;
  let unexpectedAcks = 0;
  const outstanding = new Set<string>();
  const latencies: number[] = [];
  await peer.consume(shape.concurrency, (message) => {
    const now = nowMs();
    if (!outstanding.delete(message)) unexpectedAcks += 1;
    acked += 1;
    if (now >= windowStart && now < windowEnd) ackedInWindow += 1;
    const sent = sentAtMs(message);
    if (sent >= windowStart && sent < windowEnd) latencies.push(now - sent);
  });
  let stop = false;
  const produce = async (): Promise<void> => {
    while (!stop) {
      const message = encodeMessage(nowMs());
      outstanding.add(message);
      await peer.enqueue(message);
      enqueued += 1;
    }
  };
  const loops = Array.from({ length: shape.producers }, () => produce());
  await sleep(shape.warmupSeconds * 1000);
  windowStart = nowMs();
  const cpuStart = process.cpuUsage();
  const serverCpuStart = peer.serverCpuMicros?.();
  const ackedAtStart = acked;
  await sleep(shape.seconds * 1000);
  windowEnd = nowMs();
  const cpu = process.cpuUsage(cpuStart);
  const serverCpuEnd = peer.serverCpuMicros?.();
  const ackedInCpuWindow = acked - ackedAtStart;
  const serverCpuMicros =
    serverCpuStart === undefined || serverCpuEnd === undefined ? null : (await serverCpuEnd) - (await serverCpuStart);
  stop = true;
  await Promise.all(loops);
  const drainBy = nowMs() + drainTimeoutMs;
  while (acked < enqueued && nowMs() < drainBy) await sleep(5);
  if (acked < enqueued) throw new Error(`only ${acked} of ${enqueued} messages were acked within ${drainTimeoutMs} ms`);
  latencies.sort((a, b) => a - b);
  return {
    messagesPerSecond: ackedInWindow / ((windowEnd - windowStart) / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    measuredMessages: latencies.length,
    clientCpuMicrosPerMessage: (cpu.user + cpu.system) / Math.max(1, ackedInCpuWindow),
    serverCpuMicrosPerMessage: serverCpuMicros === null ? null : serverCpuMicros / Math.max(1, ackedInCpuWindow),
    unexpectedAcks,
  };
}
