/**
 * One job: LevelDB through classic-level, keyed by a big-endian sequence number, as an engine of
 * the suite.
 *
 * Durable setting: `{ sync: true }` on every put and batch, so LevelDB fsyncs its log before the
 * write returns (without it, a write is only in the OS page cache). LevelDB groups concurrent
 * writers into one log write and one sync on its own; classic-level runs writes on libuv's pool.
 */
import type { EngineDefinition, EngineHandle } from '../lib/cell.js';
import { reasonIfMissing, requireOptional } from './optional.js';

interface LevelDb {
  open(): Promise<void>;
  put(key: Uint8Array, value: Uint8Array, options: { sync: boolean }): Promise<void>;
  batch(ops: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array }>, options: { sync: boolean }): Promise<void>;
  close(): Promise<void>;
}
type LevelConstructor = new (dir: string, options: { keyEncoding: 'view'; valueEncoding: 'view' }) => LevelDb;

/** The durable write option, passed on every write. */
const syncWrites = { sync: true } as const;

export const levelEngine: EngineDefinition = {
  info: {
    name: 'level',
    label: 'LevelDB, sync writes (classic-level)',
    durable: true,
    durability: '{ sync: true } on every put/batch (LevelDB fsyncs its log before acknowledging)',
  },
  unavailableReason: () => reasonIfMissing('classic-level'),
  async open(dir: string): Promise<EngineHandle> {
    const { ClassicLevel } = await requireOptional<{ ClassicLevel: LevelConstructor }>('classic-level');
    const db = new ClassicLevel(dir, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    let nextKey = 0;
    let appends = 0;
    return {
      serverPids: [],
      async append(payload) {
        await db.put(sequenceKey(nextKey++), payload, syncWrites);
        appends += 1;
      },
      async appendMany(payloads) {
        const ops = payloads.map((value) => ({ type: 'put' as const, key: sequenceKey(nextKey++), value }));
        await db.batch(ops, syncWrites);
        appends += payloads.length;
      },
      counters: () => ({ appends, flushes: null }),
      close: () => db.close(),
    };
  },
};

/** 8-byte big-endian: keys sort in append order, as a log's offsets do. */
function sequenceKey(sequence: number): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setBigUint64(0, BigInt(sequence));
  return key;
}
