/**
 * One job: move a file's pending operations into its durable image: all of them on a successful
 * sync; on power loss, or on a failed sync, whatever subset the PRNG chooses, torn at sector
 * granularity.
 *
 * What a power cut keeps of a file's unsynced operations is one fate per file per crash:
 * - 'drop': none of them (the page cache never reached the disk);
 * - 'keep': all of them (writeback finished just before the cut);
 * - 'random': each operation independently lost, kept whole, or (writes only) torn: a random
 *   subset of the 512-byte sectors it covers persisted. The disk reorders freely, so a later write
 *   may persist while an earlier one is lost. Kept pieces are applied in issue order, so where two
 *   kept writes overlap the later one wins, as the page cache would have had it.
 * A torn piece is the write's bytes within one sector: bytes of the sector outside the write are
 * not touched by it. Every byte after a crash is therefore its durable value before the crash,
 * the value some unsynced write put there, or zero past the old end of file.
 */
import type { Prng } from './prng.js';
import { applyOp } from './sim-image.js';
import type { ByteImage, PendingOp, PendingWrite } from './sim-image.js';
import { walkTree } from './sim-tree.js';
import type { SimDir, SimFile } from './sim-tree.js';

/** The unit a disk writes atomically. */
export const sectorBytes = 512;

export type UnsyncedFate = 'drop' | 'keep' | 'random';

/** What one crash (or failed sync) did with one file's unsynced operations. */
export interface FileSettlement {
  readonly fate: UnsyncedFate;
  /** Operations that were pending. */
  readonly opsUnsynced: number;
  /** Operations applied whole. */
  readonly opsPersisted: number;
  /** Writes of which some sectors, not all, persisted. */
  readonly opsTorn: number;
  /** Operations of which nothing persisted. */
  readonly opsDropped: number;
}

export interface FileCrashReport extends FileSettlement {
  /** The file's path in the durable tree. */
  readonly path: string;
}

export function pickFate(prng: Prng): UnsyncedFate {
  const roll = prng.float();
  if (roll < 0.3) return 'drop';
  if (roll < 0.5) return 'keep';
  return 'random';
}

/** Applies a random subset of `write`'s sectors; returns how many of how many persisted. */
function tearWrite(image: ByteImage, write: PendingWrite, prng: Prng): { kept: number; total: number } {
  const endBytes = write.positionBytes + write.bytes.length;
  const firstSector = Math.floor(write.positionBytes / sectorBytes);
  const lastSector = Math.floor((endBytes - 1) / sectorBytes);
  let kept = 0;
  for (let sector = firstSector; sector <= lastSector; sector++) {
    if (!prng.bool()) continue;
    const fromBytes = Math.max(write.positionBytes, sector * sectorBytes);
    const toBytes = Math.min(endBytes, (sector + 1) * sectorBytes);
    image.write(fromBytes, write.bytes.subarray(fromBytes - write.positionBytes, toBytes - write.positionBytes));
    kept++;
  }
  return { kept, total: lastSector - firstSector + 1 };
}

type OpOutcome = 'persisted' | 'torn' | 'dropped';

function settleOne(image: ByteImage, op: PendingOp, fate: UnsyncedFate, prng: Prng): OpOutcome {
  if (fate === 'drop') return 'dropped';
  const choice = fate === 'keep' ? 'whole' : prng.pick(['lost', 'whole', 'tear'] as const);
  if (choice === 'lost') return 'dropped';
  if (choice === 'whole' || op.kind === 'truncate' || op.bytes.length === 0) {
    applyOp(image, op);
    return 'persisted';
  }
  const { kept, total } = tearWrite(image, op, prng);
  return kept === 0 ? 'dropped' : kept === total ? 'persisted' : 'torn';
}

/** Applies to `durable` what `fate` (and the PRNG) keeps of `ops`. */
export function settleOps(
  durable: ByteImage,
  ops: readonly PendingOp[],
  fate: UnsyncedFate,
  prng: Prng,
): FileSettlement {
  const counts = { persisted: 0, torn: 0, dropped: 0 };
  for (const op of ops) counts[settleOne(durable, op, fate, prng)]++;
  return {
    fate,
    opsUnsynced: ops.length,
    opsPersisted: counts.persisted,
    opsTorn: counts.torn,
    opsDropped: counts.dropped,
  };
}

/** A successful sync: every op issued up to `throughSeq` becomes durable, in order. */
export function syncFile(file: SimFile, throughSeq: number): void {
  const covered = file.unsynced.filter((op) => op.seq <= throughSeq);
  for (const op of covered) applyOp(file.durable, op);
  file.unsynced = file.unsynced.filter((op) => op.seq > throughSeq);
}

/**
 * A failed sync (fsyncgate): Linux reports the error once and marks the pages clean, so whatever
 * writeback did not get to is lost for good, yet reads still see it and the next fsync succeeds.
 * The fate is decided now; a retried sync cannot bring the data back.
 */
export function failSyncFile(file: SimFile, throughSeq: number, prng: Prng): FileSettlement {
  const covered = file.unsynced.filter((op) => op.seq <= throughSeq);
  file.unsynced = file.unsynced.filter((op) => op.seq > throughSeq);
  return settleOps(file.durable, covered, pickFate(prng), prng);
}

/**
 * Power loss over the whole tree: every directory reverts to its durable map, every file reachable
 * through durable maps settles its unsynced ops, and its volatile image restarts from the result.
 * Files reachable only through unsynced entries vanish with them.
 */
export function crashTree(root: SimDir, prng: Prng, fate?: UnsyncedFate): FileCrashReport[] {
  const reports: FileCrashReport[] = [];
  walkTree(root, 'durable', (path, node) => {
    if (node.kind === 'dir') {
      node.volatile = new Map(node.durable);
      return;
    }
    if (node.unsynced.length > 0) {
      reports.push({ path, ...settleOps(node.durable, node.unsynced, fate ?? pickFate(prng), prng) });
      node.unsynced = [];
    }
    node.volatile = node.durable.clone();
  });
  return reports;
}
