import test from 'ava';
import { Prng, sectorBytes } from '../src/index.js';
import { replay, seedsFor, simWithDurableDir, writeDurable } from './support.js';

interface Write {
  readonly positionBytes: number;
  readonly bytes: Uint8Array;
}

const durableBytes = 4096;

/** Disjoint ranges in [0, limitBytes), in a random issue order. */
function disjointRanges(prng: Prng, limitBytes: number): Array<[number, number]> {
  const points = new Set<number>();
  const wanted = 2 * prng.int(1, 8);
  while (points.size < wanted) points.add(prng.int(0, limitBytes));
  const sorted = [...points].sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < sorted.length; i += 2) ranges.push([sorted[i]!, sorted[i + 1]!]);
  for (let i = ranges.length - 1; i > 0; i--) {
    const j = prng.int(0, i + 1);
    [ranges[i], ranges[j]] = [ranges[j]!, ranges[i]!];
  }
  return ranges;
}

type PieceState = 'new' | 'old' | 'mixed';

/** Whether the write's bytes within one sector all persisted, none did, or (a bug) some did. */
function pieceState(after: Uint8Array, write: Write, fromBytes: number, toBytes: number): PieceState {
  let fresh = 0;
  let stale = 0;
  for (let p = fromBytes; p < toBytes; p++) {
    if (p < after.length && after[p] === write.bytes[p - write.positionBytes]) fresh++;
    else stale++;
  }
  return stale === 0 ? 'new' : fresh === 0 ? 'old' : 'mixed';
}

function sectorPieces(write: Write): Array<[number, number]> {
  const pieces: Array<[number, number]> = [];
  const endBytes = write.positionBytes + write.bytes.length;
  for (let from = write.positionBytes; from < endBytes; from = (Math.floor(from / sectorBytes) + 1) * sectorBytes) {
    pieces.push([from, Math.min(endBytes, (Math.floor(from / sectorBytes) + 1) * sectorBytes)]);
  }
  return pieces;
}

test('a crash persists unsynced writes sector by sector, never a part of a sector, in any order', async (t) => {
  let tornWrites = 0;
  let reorderings = 0;
  const seeds = seedsFor(300);
  for (const seed of seeds) {
    const sim = await simWithDurableDir(seed);
    const workload = new Prng((seed ^ 0x9e3779b9) >>> 0);
    const base = workload.bytes(durableBytes);
    const oldAt = (p: number): number => (p < durableBytes ? base[p]! : 0);
    const handle = await writeDurable(sim, '/d/f', base);
    // Each written byte differs from the byte before it, so every byte tells which one persisted.
    const writes: Write[] = disjointRanges(workload, 7000).map(([from, to]) => ({
      positionBytes: from,
      bytes: Uint8Array.from({ length: to - from }, (_, i) => oldAt(from + i) ^ 0xff),
    }));
    for (const write of writes) await handle.writev([write.bytes], write.positionBytes);
    const volatileBytes = sim.readFileSync('/d/f').length;
    sim.crash();
    const after = sim.readFileSync('/d/f');
    t.true(after.length >= durableBytes && after.length <= volatileBytes, replay(seed));

    const states = writes.map((write) => sectorPieces(write).map(([from, to]) => pieceState(after, write, from, to)));
    t.false(states.flat().includes('mixed'), `a sector was partly written: ${replay(seed)}`);
    const written = (p: number) => writes.some((w) => p >= w.positionBytes && p < w.positionBytes + w.bytes.length);
    const untouched = Array.from(after.keys()).filter((p) => !written(p));
    t.true(untouched.every((p) => after[p] === oldAt(p)), `a byte outside every write changed: ${replay(seed)}`);

    tornWrites += states.filter((pieces) => pieces.includes('new') && pieces.includes('old')).length;
    const lostIndex = states.findIndex((pieces) => pieces.every((state) => state === 'old'));
    if (lostIndex >= 0 && states.slice(lostIndex + 1).some((pieces) => pieces.includes('new'))) reorderings++;
  }
  if (seeds.length > 1) {
    // Over many seeds the model must actually tear and reorder, or the checks above prove little.
    t.true(tornWrites > 0, 'some write was torn');
    t.true(reorderings > 0, 'some later write persisted while an earlier one was lost');
  }
});

test('after a crash every byte is its durable value, a value an unsynced write put there, or a gap zero', async (t) => {
  for (const seed of seedsFor(300)) {
    const sim = await simWithDurableDir(seed);
    const workload = new Prng((seed ^ 0x85ebca6b) >>> 0);
    const base = workload.bytes(2048);
    const handle = await writeDurable(sim, '/d/f', base);
    const allowed = Array.from({ length: 5000 }, (_, p) => new Set([p < base.length ? base[p]! : 0]));
    for (let i = workload.int(1, 10); i > 0; i--) {
      const positionBytes = workload.int(0, 3000);
      const bytes = workload.bytes(workload.int(1, 2000));
      bytes.forEach((value, offset) => allowed[positionBytes + offset]!.add(value));
      await handle.writev([bytes], positionBytes);
    }
    const volatileBytes = sim.readFileSync('/d/f').length;
    sim.crash();
    const after = sim.readFileSync('/d/f');
    const strangers = Array.from(after.keys()).filter((p) => !allowed[p]!.has(after[p]!));
    t.deepEqual(strangers, [], replay(seed));
    t.true(after.length >= base.length && after.length <= volatileBytes, replay(seed));
  }
});
