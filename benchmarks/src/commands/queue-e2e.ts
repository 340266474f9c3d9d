/**
 * One job: the end-to-end queue benchmark of issue 13 as a command: `queue-e2e` runs every peer
 * (seglog, BullMQ on Redis with appendfsync always, pg-boss on PostgreSQL with synchronous_commit
 * on) `--runs` times, interleaved, each run in a fresh child process (`queue-e2e-run`) with a fresh
 * temporary directory and its own server, and prints medians of messages/s and of p99 latency,
 * and whether seglog meets the target (>= 10x the faster peer's messages/s, lower p99).
 *
 * Run it alone: `flock /tmp/seglog-bench.lock node benchmarks/dist/main.js queue-e2e`.
 */
import { parseArgs } from 'node:util';
import { positiveInteger, positiveNumber } from '../lib/args.js';
import { measurePeerInChild, runPeerChild } from '../lib/peer-child.js';
import { bullmqPeer } from '../queue/bullmq-peer.js';
import { checkE2eShape, measureE2e } from '../queue/e2e-run.js';
import type { E2eResult, E2eShape } from '../queue/e2e-run.js';
import { pgBossPeer } from '../queue/pgboss-peer.js';
import type { PeerDefinition } from '../queue/queue-peer.js';
import { seglogOwnerPeer } from '../queue/seglog-owner-peer.js';
import { seglogPeer } from '../queue/seglog-peer.js';
import type { Command } from './command.js';

/** seglog's rows first: embedded, then the owner-process topology (a deployment choice, docs/queue.md). */
export const queuePeers: readonly PeerDefinition[] = [seglogPeer, seglogOwnerPeer, bullmqPeer, pgBossPeer];

/** seglog's own rows, judged together against the peers: the best of them counts. */
const isSeglog = (name: string): boolean => name === 'seglog' || name === 'seglog-owner';

export interface PeerSummary {
  readonly peer: string;
  readonly label: string;
  readonly durability: string;
  readonly skipped: string | null;
  readonly runs: readonly E2eResult[];
  readonly medianMessagesPerSecond: number;
  readonly medianP50Ms: number;
  readonly medianP99Ms: number;
  readonly medianClientCpuMicrosPerMessage: number;
  /** The server process's CPU per message (seglog-owner's owner), or null where not measured. */
  readonly medianServerCpuMicrosPerMessage: number | null;
  /** Acks that settled nothing (duplicates, unknown or malformed messages), summed over the runs: must be 0. */
  readonly unexpectedAcks: number;
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function runChild(peer: string, shape: E2eShape): Promise<E2eResult> {
  return runPeerChild<E2eResult>('queue-e2e-run', peer, shape);
}

/** Runs every available peer `runs` times, interleaved (so load drifts hit all alike). */
export async function runQueueE2e(shape: E2eShape, runs: number, names: readonly string[]): Promise<PeerSummary[]> {
  const chosen = queuePeers.filter((peer) => names.includes(peer.name));
  const skipped = new Map<string, string | null>();
  for (const peer of chosen) skipped.set(peer.name, await peer.unavailableReason());
  const results = new Map<string, E2eResult[]>(chosen.map((peer) => [peer.name, []]));
  for (let run = 0; run < runs; run += 1) {
    for (const peer of chosen) {
      if (skipped.get(peer.name) !== null) continue;
      const result = await runChild(peer.name, shape);
      results.get(peer.name)!.push(result);
      console.error(`  run ${run + 1}/${runs} ${peer.name}: ${Math.round(result.messagesPerSecond)} msg/s, p99 ${result.p99Ms.toFixed(1)} ms`);
    }
  }
  return chosen.map((peer) => {
    const list = results.get(peer.name)!;
    const serverCpu = list.map((r) => r.serverCpuMicrosPerMessage).filter((v): v is number => typeof v === 'number');
    return {
      peer: peer.name,
      label: peer.label,
      durability: peer.durability,
      skipped: skipped.get(peer.name) ?? null,
      runs: list,
      medianMessagesPerSecond: median(list.map((r) => r.messagesPerSecond)),
      medianP50Ms: median(list.map((r) => r.p50Ms)),
      medianP99Ms: median(list.map((r) => r.p99Ms)),
      medianClientCpuMicrosPerMessage: median(list.map((r) => r.clientCpuMicrosPerMessage)),
      medianServerCpuMicrosPerMessage: serverCpu.length === 0 ? null : median(serverCpu),
      unexpectedAcks: list.reduce((sum, r) => sum + r.unexpectedAcks, 0),
    };
  });
}

export interface QueueTarget {
  /** seglog's row with the most messages/s (embedded or owner process), or null when none ran. */
  readonly seglogRow: string | null;
  /** The faster durable peer that ran, or null when none did (then nothing is judged). */
  readonly fastestPeer: string | null;
  /** seglog's messages/s divided by that peer's. */
  readonly ratio: number | null;
  readonly lowerP99: boolean | null;
  /** seglog's row had no unexpected ack (every message acked exactly once). */
  readonly exactlyOnce: boolean | null;
  readonly met: boolean | null;
}

const faster = (a: PeerSummary, b: PeerSummary): PeerSummary =>
  b.medianMessagesPerSecond > a.medianMessagesPerSecond ? b : a;

/**
 * Issue 13's target: >= 10x the faster peer's messages/s, with a p99 below every peer's, judged on
 * seglog's best row (the embedded queue or the owner-process topology, whichever ran faster), and
 * only if that row acked every message exactly once (a run with a missing ack fails outright).
 */
export function judgeQueueTarget(summaries: readonly PeerSummary[]): QueueTarget {
  const ran = summaries.filter((s) => s.skipped === null && s.runs.length > 0);
  const ours = ran.filter((s) => isSeglog(s.peer));
  const peers = ran.filter((s) => !isSeglog(s.peer));
  if (ours.length === 0 || peers.length === 0) {
    return { seglogRow: null, fastestPeer: null, ratio: null, lowerP99: null, exactlyOnce: null, met: null };
  }
  const seglog = ours.reduce(faster);
  const fastest = peers.reduce(faster);
  const ratio = seglog.medianMessagesPerSecond / fastest.medianMessagesPerSecond;
  const lowerP99 = peers.every((p) => seglog.medianP99Ms < p.medianP99Ms);
  const exactlyOnce = seglog.unexpectedAcks === 0;
  const met = ratio >= 10 && lowerP99 && exactlyOnce;
  return { seglogRow: seglog.peer, fastestPeer: fastest.peer, ratio, lowerP99, exactlyOnce, met };
}

/** The Markdown table and the target line. */
export function renderQueueE2e(summaries: readonly PeerSummary[], shape: E2eShape, runs: number): string {
  const lines = [
    `End to end (durable enqueue -> handler -> durable ack), 128-byte messages, ${shape.producers} producers, ` +
      `consumer concurrency ${shape.concurrency}, ${shape.seconds} s window after ${shape.warmupSeconds} s warm-up, medians of ${runs} runs:`,
    '',
    '| system | messages/s | p50 ms | p99 ms | client CPU µs/msg | server CPU µs/msg ' +
      '| durability |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const s of summaries) {
    if (s.skipped !== null) {
      lines.push(`| ${s.label} | skipped: ${s.skipped} | | | | | |`);
      continue;
    }
    const cells = [
      Math.round(s.medianMessagesPerSecond),
      s.medianP50Ms.toFixed(1),
      s.medianP99Ms.toFixed(1),
      Math.round(s.medianClientCpuMicrosPerMessage),
      s.medianServerCpuMicrosPerMessage === null ? 'n/a' : Math.round(s.medianServerCpuMicrosPerMessage),
    ];
    const label = s.unexpectedAcks === 0 ? s.label : `${s.label} (${s.unexpectedAcks} unexpected acks)`;
    lines.push(`| ${label} | ${cells.join(' | ')} | ${s.durability} |`);
  }
  const target = judgeQueueTarget(summaries);
  if (target.met !== null) {
    lines.push('', `target (best seglog row, ${target.seglogRow}, >= 10x the faster peer, ${target.fastestPeer}, with a lower p99): ` +
      `${target.ratio!.toFixed(1)}x, p99 ${target.lowerP99 ? 'lower' : 'NOT lower'}` +
      `${target.exactlyOnce ? '' : ', unexpected acks'}: ${target.met ? 'met' : 'NOT met'}`);
  }
  return lines.join('\n');
}

export const queueE2eCommand: Command = {
  name: 'queue-e2e',
  summary: 'queue end to end: @seglog/queue vs BullMQ (Redis, appendfsync always) vs pg-boss (PostgreSQL, synchronous_commit on)',
  usage: 'usage: main.js queue-e2e [--runs 3] [--seconds 5] [--warmup-seconds 2] [--producers 64] [--concurrency 64] [--peers seglog,seglog-owner,bullmq,pg-boss] [--json FILE]',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        runs: { type: 'string' },
        seconds: { type: 'string' },
        'warmup-seconds': { type: 'string' },
        producers: { type: 'string' },
        concurrency: { type: 'string' },
        peers: { type: 'string' },
        json: { type: 'string' },
      },
    });
    const shape: E2eShape = {
      producers: positiveInteger(values.producers ?? '64', '--producers'),
      concurrency: positiveInteger(values.concurrency ?? '64', '--concurrency'),
      warmupSeconds: positiveNumber(values['warmup-seconds'], '--warmup-seconds', 2),
      seconds: positiveNumber(values.seconds, '--seconds', 5),
    };
    const runs = positiveInteger(values.runs ?? '3', '--runs');
    const names = (values.peers ?? queuePeers.map((p) => p.name).join(',')).split(',');
    const summaries = await runQueueE2e(shape, runs, names);
    console.log(renderQueueE2e(summaries, shape, runs));
    if (values.json !== undefined) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(values.json, `${JSON.stringify({ shape, runs, summaries }, null, 2)}\n`);
    }
  },
};

/** The child: one run of one peer in a fresh temporary directory; prints the result as JSON. */
export const queueE2eRunCommand: Command = {
  name: 'queue-e2e-run',
  summary: '(internal) one run of one peer for queue-e2e',
  usage: 'usage: main.js queue-e2e-run <peer> <shape JSON>',
  async run(argv) {
    const [name, shapeText] = argv;
    const definition = queuePeers.find((peer) => peer.name === name);
    if (definition === undefined || shapeText === undefined) throw new TypeError(`unknown peer ${String(name)}`);
    const shape = checkE2eShape(JSON.parse(shapeText));
    await measurePeerInChild((dir) => definition.open(dir), (peer) => measureE2e(peer, shape));
  },
};
