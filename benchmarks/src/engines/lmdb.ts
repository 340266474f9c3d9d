/**
 * One job: LMDB through the `lmdb` package (lmdb-js), keyed by a sequence number, as two engines
 * of the suite: one durable, one with the package's default (overlapping) sync.
 *
 * lmdb-js batches every write issued in the same event-loop turn into one transaction, committed
 * on its own thread. With its default `overlappingSync: true`, a write's promise resolves when the
 * transaction is committed and visible, and the flush to disk happens afterwards, overlapping the
 * next transaction: an acknowledged write can be lost in a power cut. So:
 * - `lmdb` (durable): `overlappingSync: false`, so the commit promise resolves only after LMDB's
 *   commit has synced the data file (fdatasync). This is the durable setting.
 * - `lmdb-overlap` (not durable): the defaults; kept so the price of durability is visible.
 */
import type { EngineDefinition, EngineHandle, EngineInfo } from '../lib/cell.js';
import { reasonIfMissing, requireOptional } from './optional.js';

interface LmdbDatabase {
  put(key: number, value: Uint8Array): Promise<boolean>;
  putSync(key: number, value: Uint8Array): boolean;
  transaction<T>(body: () => T): Promise<T>;
  close(): Promise<void>;
}
interface LmdbOptions {
  readonly path: string;
  readonly encoding: 'binary';
  readonly keyEncoding: 'uint32';
  readonly overlappingSync?: boolean;
}
type LmdbOpen = (options: LmdbOptions) => LmdbDatabase;

export const lmdbEngine = lmdbDefinition(
  {
    name: 'lmdb',
    label: 'LMDB, synced commits (lmdb-js)',
    durable: true,
    durability: 'overlappingSync: false (the write promise resolves after the commit fdatasyncs)',
  },
  { overlappingSync: false },
);

export const lmdbOverlapEngine = lmdbDefinition(
  {
    name: 'lmdb-overlap',
    label: 'LMDB, default overlapping sync (lmdb-js)',
    durable: false,
    durability: 'default overlappingSync: true resolves at commit, before the flush: NOT durable',
  },
  {},
);

function lmdbDefinition(info: EngineInfo, syncOptions: { readonly overlappingSync?: boolean }): EngineDefinition {
  return {
    info,
    unavailableReason: () => reasonIfMissing('lmdb'),
    async open(dir: string): Promise<EngineHandle> {
      const { open } = await requireOptional<{ open: LmdbOpen }>('lmdb');
      const db = open({ path: dir, encoding: 'binary', keyEncoding: 'uint32', ...syncOptions });
      let nextKey = 0;
      let appends = 0;
      return {
        serverPids: [],
        async append(payload) {
          await db.put(nextKey++, payload);
          appends += 1;
        },
        async appendMany(payloads) {
          await db.transaction(() => {
            for (const payload of payloads) db.putSync(nextKey++, payload);
          });
          appends += payloads.length;
        },
        counters: () => ({ appends, flushes: null }),
        close: () => db.close(),
      };
    },
  };
}
