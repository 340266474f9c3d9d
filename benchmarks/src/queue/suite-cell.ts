/**
 * One job: issue 13's queue benchmark as a cell of the suite (`pnpm bench`): `queue-e2e` over
 * every peer (seglog, BullMQ on Redis with appendfsync always, pg-boss on PostgreSQL with
 * synchronous_commit on), its table, and its target (>= 10x the faster peer's messages/s with a
 * lower p99). A peer whose server or package is missing is skipped and flagged in the table, never
 * dropped silently; a failure is reported, not fatal to the suite.
 */
import { judgeQueueTarget, queuePeers, renderQueueE2e, runQueueE2e } from '../commands/queue-e2e.js';
import type { PeerSummary, QueueTarget } from '../commands/queue-e2e.js';
import type { E2eShape } from './e2e-run.js';

export interface QueueCellSettings {
  readonly shape: E2eShape;
  readonly runs: number;
}

export interface QueueCellFigures {
  readonly summaries: readonly PeerSummary[];
  readonly target: QueueTarget;
}

/** The standard cell: the shape, 3 runs of 5 s; --quick: 1 run of 2 s. */
export function queueCellSettings(quick: boolean): QueueCellSettings {
  // --quick keeps a 2 s warm-up: BullMQ's first acks take over a second to come back under load.
  const shape = { producers: 64, concurrency: 64, warmupSeconds: 2, seconds: quick ? 3 : 5 };
  return { shape, runs: quick ? 1 : 3 };
}

/** Seconds the cell should take, for the progress estimate (three peers, start-up included). */
export function queueCellCostSeconds(settings: QueueCellSettings): number {
  return settings.runs * queuePeers.length * (settings.shape.warmupSeconds + settings.shape.seconds + 4);
}

export async function runQueueCell(settings: QueueCellSettings): Promise<QueueCellFigures> {
  const summaries = await runQueueE2e(settings.shape, settings.runs, queuePeers.map((peer) => peer.name));
  return { summaries, target: judgeQueueTarget(summaries) };
}

/** The report's section: the table (skipped peers flagged) and the target line. */
export function renderQueueCell(figures: QueueCellFigures | string, settings: QueueCellSettings | null): string {
  const title = '### Queue end to end (issue 13)';
  if (typeof figures === 'string') return `${title}\n\nnot measured: ${figures}`;
  const table = settings === null ? '' : renderQueueE2e(figures.summaries, settings.shape, settings.runs);
  const { target } = figures;
  const judged = target.met === null
    ? 'target not judged: no peer ran (install redis-server and postgresql, see .ci/run)'
    : `target ${target.met ? 'met' : 'NOT met'} (${target.seglogRow}: ${target.ratio!.toFixed(1)}x ${target.fastestPeer}, ` +
      `p99 ${target.lowerP99 ? 'lower' : 'not lower'}${target.exactlyOnce ? '' : ', unexpected acks'})`;
  return `${title}\n\n\`main.js queue-e2e\` in the suite (benchmarks/src/queue/suite-cell.ts): ${judged}.\n\n${table}`;
}
