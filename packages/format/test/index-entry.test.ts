/**
 * One job: test the sparse index entries (packages/format/src/index-entry.ts): round trips, the
 * decoder keeping only the longest well-formed increasing prefix (the index is a hint, so a torn
 * or stale tail must be dropped, never trusted), and findIndexEntry against a linear reference.
 */
import test from 'ava';
import fc from 'fast-check';
import { isSeglogError } from '@seglog/types';
import {
  INDEX_ENTRY_BYTES,
  decodeIndexEntries,
  encodeIndexEntries,
  findIndexEntry,
  writeIndexEntry,
  type IndexEntry,
} from '../src/index.js';
import { concatBytes, propertyParams } from './support.js';

const ENTRIES: IndexEntry[] = [
  { firstOffset: 0, blockNumber: 1 },
  { firstOffset: 120, blockNumber: 9 },
  { firstOffset: 5000, blockNumber: 300 },
  { firstOffset: 2 ** 40, blockNumber: 2 ** 32 - 1 },
];

/** Strictly increasing entries: the shape the writer appends. */
const entriesArb = fc
  .array(fc.tuple(fc.maxSafeNat(), fc.integer({ min: 1, max: 2 ** 32 - 1 })), { maxLength: 60, size: 'max' })
  .map((pairs) => {
    const offsets = [...new Set(pairs.map(([offset]) => offset))].sort((a, b) => a - b);
    const blocks = [...new Set(pairs.map(([, block]) => block))].sort((a, b) => a - b);
    const count = Math.min(offsets.length, blocks.length);
    return Array.from({ length: count }, (_, i): IndexEntry => ({ firstOffset: offsets[i]!, blockNumber: blocks[i]! }));
  });

test('entries round-trip, 16 bytes each', (t) => {
  const bytes = encodeIndexEntries(ENTRIES);
  t.is(bytes.length, ENTRIES.length * INDEX_ENTRY_BYTES);
  t.deepEqual(decodeIndexEntries(bytes), ENTRIES);
  t.deepEqual(decodeIndexEntries(new Uint8Array(0)), []);
});

test('random increasing entries round-trip', (t) => {
  t.notThrows(() =>
    fc.assert(
      fc.property(entriesArb, (entries) => {
        const decoded = decodeIndexEntries(encodeIndexEntries(entries));
        return JSON.stringify(decoded) === JSON.stringify(entries);
      }),
      propertyParams(200),
    ),
  );
});

test('writeIndexEntry at a position matches encodeIndexEntries, and a view decodes', (t) => {
  const backing = new Uint8Array(8 + ENTRIES.length * INDEX_ENTRY_BYTES);
  ENTRIES.forEach((entry, i) => writeIndexEntry(backing, 8 + i * INDEX_ENTRY_BYTES, entry));
  t.deepEqual([...backing.subarray(8)], [...encodeIndexEntries(ENTRIES)]);
  t.deepEqual(decodeIndexEntries(backing.subarray(8)), ENTRIES);
});

test('decoding stops at the first entry with a bad CRC', (t) => {
  for (let position = 0; position < ENTRIES.length * INDEX_ENTRY_BYTES; position++) {
    const bytes = encodeIndexEntries(ENTRIES);
    bytes[position] = bytes[position]! ^ 0x40;
    const damagedIndex = Math.floor(position / INDEX_ENTRY_BYTES);
    t.deepEqual(decodeIndexEntries(bytes), ENTRIES.slice(0, damagedIndex), `byte ${position}`);
  }
});

test('decoding stops at a torn (partial) last entry and at zeros (an index that was never filled)', (t) => {
  const bytes = encodeIndexEntries(ENTRIES);
  t.deepEqual(decodeIndexEntries(bytes.subarray(0, 3 * INDEX_ENTRY_BYTES + 15)), ENTRIES.slice(0, 3));
  t.deepEqual(decodeIndexEntries(concatBytes([bytes.subarray(0, 32), new Uint8Array(64)])), ENTRIES.slice(0, 2));
  t.deepEqual(decodeIndexEntries(new Uint8Array(64)), []);
});

test('decoding stops at the first entry whose offset does not increase', (t) => {
  const repeated = encodeIndexEntries([ENTRIES[0]!, ENTRIES[1]!, { firstOffset: 120, blockNumber: 10 }, ENTRIES[2]!]);
  t.deepEqual(decodeIndexEntries(repeated), ENTRIES.slice(0, 2));
  const backwards = encodeIndexEntries([ENTRIES[0]!, ENTRIES[1]!, { firstOffset: 100, blockNumber: 10 }, ENTRIES[2]!]);
  t.deepEqual(decodeIndexEntries(backwards), ENTRIES.slice(0, 2));
});

test('decoding stops at the first entry whose block number does not increase', (t) => {
  const repeated = encodeIndexEntries([ENTRIES[0]!, ENTRIES[1]!, { firstOffset: 200, blockNumber: 9 }, ENTRIES[2]!]);
  t.deepEqual(decodeIndexEntries(repeated), ENTRIES.slice(0, 2));
  const backwards = encodeIndexEntries([ENTRIES[0]!, ENTRIES[1]!, { firstOffset: 200, blockNumber: 2 }, ENTRIES[2]!]);
  t.deepEqual(decodeIndexEntries(backwards), ENTRIES.slice(0, 2));
});

test('findIndexEntry: the last entry at or before an offset, or -1', (t) => {
  t.is(findIndexEntry([], 0), -1);
  t.is(findIndexEntry(ENTRIES, 0), 0);
  t.is(findIndexEntry(ENTRIES, 119), 0);
  t.is(findIndexEntry(ENTRIES, 120), 1);
  t.is(findIndexEntry(ENTRIES, 4999), 1);
  t.is(findIndexEntry(ENTRIES, 5000), 2);
  t.is(findIndexEntry(ENTRIES, 2 ** 40 - 1), 2);
  t.is(findIndexEntry(ENTRIES, 2 ** 40), 3);
  t.is(findIndexEntry(ENTRIES, Number.MAX_SAFE_INTEGER), 3);
  t.is(findIndexEntry(ENTRIES.slice(1), 119), -1);
});

function linearFind(entries: readonly IndexEntry[], offset: number): number {
  let found = -1;
  for (let i = 0; i < entries.length; i++) if (entries[i]!.firstOffset <= offset) found = i;
  return found;
}

test('findIndexEntry agrees with a linear scan, for offsets on, between and around entries', (t) => {
  const probeArb = fc.oneof(fc.maxSafeNat(), fc.nat({ max: 1000 }));
  t.notThrows(() =>
    fc.assert(
      fc.property(entriesArb, fc.array(probeArb, { maxLength: 20 }), (entries, probes) => {
        const onAndAround = entries.flatMap(({ firstOffset }) => [firstOffset - 1, firstOffset, firstOffset + 1]);
        return [...probes, ...onAndAround].every(
          (offset) => findIndexEntry(entries, offset) === linearFind(entries, offset),
        );
      }),
      propertyParams(300),
    ),
  );
});

test('misuse of writeIndexEntry is an assertion', (t) => {
  const assertion = (entry: IndexEntry): void => {
    t.true(isSeglogError(t.throws(() => writeIndexEntry(new Uint8Array(16), 0, entry)), 'SEGLOG_ASSERTION'));
  };
  assertion({ firstOffset: 0, blockNumber: 0 }); // block 0 is the segment header
  assertion({ firstOffset: 0, blockNumber: 2 ** 32 });
  assertion({ firstOffset: -1, blockNumber: 1 });
  assertion({ firstOffset: 2 ** 53, blockNumber: 1 });
});
