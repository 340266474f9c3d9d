/**
 * One job: corruption fuzzing of reads. One byte of a segment past its header is changed,
 * anywhere. Whatever the reader returns must be exactly what was written, as a gap-free run from
 * the first offset; where it cannot continue it says SEGLOG_CORRUPT, and it may stop quietly only
 * in the last segment (the documented limit: there, damage with nothing after it looks like a
 * write in progress). Set SEGLOG_SEED to replay a failure.
 */
import test from 'ava';
import fc from 'fast-check';
import { ErrorCodes, isSeglogError } from '@seglog/types';
import { openReader } from '../src/index.js';
import { MemoryFileIO } from './helpers/memory-io.js';
import { buildLog, payloadFor, type IndexLayout } from './helpers/build-log.js';

const layoutArb = fc.record({
  blockBytes: fc.constantFrom(512, 4096),
  index: fc.constantFrom<IndexLayout>('every', 'none', { intervalBytes: 2048 }),
  segments: fc.array(fc.array(fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }), {
    minLength: 1,
    maxLength: 4,
  }),
});

const damageArb = fc.record({ segment: fc.nat(), at: fc.double({ min: 0, max: 1, noNaN: true }), xor: fc.integer({ min: 1, max: 255 }) });

function seedParams(): { numRuns: number; seed?: number } {
  const seed = process.env['SEGLOG_SEED'];
  return seed === undefined || seed === '' ? { numRuns: 300 } : { numRuns: 300, seed: Number(seed) };
}

test('a changed byte never yields wrong or skipped records', async (t) => {
  let corruptSeen = 0;
  await fc.assert(
    fc.asyncProperty(layoutArb, damageArb, async (layout, damage) => {
      const io = new MemoryFileIO();
      let offset = 0;
      const log = await buildLog(io, {
        blockBytes: layout.blockBytes,
        segments: layout.segments.map((batches) => ({
          index: layout.index,
          batches: batches.map((sizes) => sizes.map((sizeBytes) => payloadFor(offset++, sizeBytes))),
        })),
      });
      const total = offset;
      const damagedIndex = damage.segment % log.segments.length;
      const damaged = log.segments[damagedIndex]!;
      const fileBytes = io.readFileSync(damaged.path);
      const at = log.blockBytes + Math.floor(damage.at * (fileBytes.length - log.blockBytes - 1));
      io.writeSync(damaged.path, at, Uint8Array.of(fileBytes[at]! ^ damage.xor));
      const inLastSegment = damagedIndex === log.segments.length - 1;

      const reader = await openReader({ dir: log.dir, io });
      let next = 0;
      try {
        for await (const record of reader.read({ from: 0 })) {
          if (record.offset !== next) throw new Error(`record ${record.offset} after ${next - 1}: a gap`);
          if (!sameBytes(record.payload, log.payloads.get(record.offset)!)) throw new Error(`record ${record.offset} differs`);
          next++;
        }
        if (next < total && !inLastSegment) throw new Error(`stopped quietly at ${next} of ${total}, damage in segment ${damagedIndex}`);
      } catch (error) {
        if (!isSeglogError(error, ErrorCodes.CORRUPT)) throw error;
        corruptSeen++;
      }
      await reader.close();

      const fresh = await openReader({ dir: log.dir, io });
      for (let probe = 0; probe < total; probe++) {
        try {
          if (!sameBytes(await fresh.get(probe), log.payloads.get(probe)!)) throw new Error(`get(${probe}) differs`);
        } catch (error) {
          if (isSeglogError(error, ErrorCodes.CORRUPT)) continue;
          if (isSeglogError(error, ErrorCodes.OUT_OF_RANGE) && inLastSegment) continue;
          throw error;
        }
      }
      await fresh.close();
    }),
    seedParams(),
  );
  t.true(corruptSeen > 0, 'some damage was reported as corruption');
});

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
