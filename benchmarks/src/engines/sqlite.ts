/**
 * One job: SQLite through better-sqlite3 12.x, as a log table, as an engine of the suite.
 *
 * Durable setting: `journal_mode = WAL` with `synchronous = FULL`, which makes every commit
 * fsync the WAL before it returns (with the default NORMAL, WAL commits are not synced). Each
 * append is one INSERT in its own (autocommit) transaction; `appendMany` is one transaction.
 *
 * better-sqlite3 is synchronous: a commit blocks the event loop until its fsync returns. Each
 * append runs from `setImmediate`, the way a server would call it from a request handler, which
 * also lets the driver's timers run; concurrent appenders simply take turns, one commit each.
 */
import { join } from 'node:path';
import type { EngineDefinition, EngineHandle } from '../lib/cell.js';
import { reasonIfMissing, requireOptional } from './optional.js';

/** The few calls used here (better-sqlite3 ships no types of its own). */
interface Statement {
  run(...params: unknown[]): unknown;
}
interface Database {
  pragma(source: string): unknown;
  exec(source: string): unknown;
  prepare(source: string): Statement;
  transaction<A extends unknown[]>(body: (...args: A) => void): (...args: A) => void;
  close(): unknown;
}
type DatabaseConstructor = new (path: string) => Database;

export const sqliteEngine: EngineDefinition = {
  info: {
    name: 'sqlite',
    label: 'SQLite WAL, synchronous=FULL (better-sqlite3)',
    durable: true,
    durability: "pragma journal_mode = WAL; pragma synchronous = FULL (each commit fsyncs the WAL)",
  },
  unavailableReason: () => reasonIfMissing('better-sqlite3'),
  async open(dir: string): Promise<EngineHandle> {
    const module = await requireOptional<{ default: DatabaseConstructor }>('better-sqlite3');
    const db = new module.default(join(dir, 'log.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE log (offset INTEGER PRIMARY KEY, payload BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO log (payload) VALUES (?)');
    const insertMany = db.transaction((payloads: readonly Uint8Array[]) => {
      for (const payload of payloads) insert.run(payload);
    });
    let appends = 0;
    const later = <T>(work: () => T): Promise<T> =>
      new Promise((resolve, reject) => {
        setImmediate(() => {
          try {
            resolve(work());
          } catch (error) {
            reject(error);
          }
        });
      });
    return {
      serverPids: [],
      append: (payload) =>
        later(() => {
          insert.run(payload);
          appends += 1;
        }),
      appendMany: (payloads) =>
        later(() => {
          insertMany(payloads);
          appends += payloads.length;
        }),
      counters: () => ({ appends, flushes: null }),
      close: () => Promise.resolve(void db.close()),
    };
  },
};
