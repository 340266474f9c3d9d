/**
 * One job: pg-boss 10 on Debian's PostgreSQL 15 with `synchronous_commit = on` (and `fsync = on`)
 * as a peer of the end-to-end queue benchmark. A commit returns after its WAL is flushed, so
 * `send` resolving means the job is durable, and `complete` resolving means the ack is.
 *
 * pg-boss 10 is the newest major that runs on Node 20 (11 and 12 need Node 22). Its workers poll
 * (at least every 0.5 s); to give it its best latency the producer calls `notifyWorker` on every
 * worker after each send, which pg-boss offers to skip the polling wait. Concurrency 64 is 8
 * workers each fetching batches of up to 8. Each handler completes its own job (`complete` is one
 * commit) and the latency is taken when that resolves; pg-boss's own completion of the batch
 * after the handler returns then finds nothing left to do. The job's data is `{ m: <the
 * 128-character message> }` (message-codec.ts), read back from the fetched job.
 */
import { reasonIfMissing, requireOptional } from '../engines/optional.js';
import type { RunningServer } from '../lib/server.js';
import { messageText, seqOfText } from './message-codec.js';
import { postgresMissingReason, startPostgres } from './peer-servers.js';
import type { PeerDefinition, QueuePeer } from './queue-peer.js';

interface PgJob {
  readonly id: string;
  readonly data: { readonly m: string };
}
interface Boss {
  start(): Promise<unknown>;
  stop(options: { graceful: boolean; wait: boolean; timeout?: number }): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): void;
  createQueue(name: string): Promise<void>;
  send(name: string, data: { m: string }): Promise<string | null>;
  work(
    name: string,
    options: { batchSize: number; pollingIntervalSeconds: number },
    handler: (jobs: PgJob[]) => Promise<void>,
  ): Promise<string>;
  notifyWorker(id: string): void;
  complete(name: string, id: string): Promise<unknown>;
}
type BossConstructor = new (options: {
  host: string;
  port: number;
  user: string;
  database: string;
  max: number;
  supervise: boolean;
  schedule: boolean;
}) => Boss;

const workers = 8;
const startupTimeoutMs = 30_000;
const name = 'bench';

/**
 * PostgreSQL accepts TCP connections before it accepts sessions ("the database system is
 * starting up", SQLSTATE 57P03): retry with a fresh PgBoss (one whose start failed stays half
 * started) until it does.
 */
async function startWhenReady(make: () => Boss): Promise<Boss> {
  const until = Date.now() + startupTimeoutMs;
  for (;;) {
    const boss = make();
    boss.on('error', () => undefined);
    try {
      await boss.start();
      return boss;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      await boss.stop({ graceful: false, wait: true, timeout: 1000 }).catch(() => undefined);
      if (code !== '57P03' || Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export const pgBossPeer: PeerDefinition = {
  name: 'pg-boss',
  label: 'pg-boss (PostgreSQL, synchronous_commit on)',
  durability: 'PostgreSQL 15, synchronous_commit = on, fsync = on (WAL flushed before each commit returns)',
  async unavailableReason() {
    return postgresMissingReason() ?? (await reasonIfMissing('pg-boss'));
  },
  async open(dir: string): Promise<QueuePeer> {
    const loaded = await requireOptional<{ default: BossConstructor }>('pg-boss');
    const server: RunningServer = await startPostgres(dir);
    const options = {
      host: '127.0.0.1',
      port: server.port,
      user: 'postgres',
      database: 'postgres',
      max: 80,
      supervise: false,
      schedule: false,
    };
    let boss: Boss;
    try {
      boss = await startWhenReady(() => new loaded.default(options));
      await boss.createQueue(name);
    } catch (error) {
      await server.stop();
      throw error;
    }
    const workerIds: string[] = [];
    return {
      async enqueue(seq) {
        await boss.send(name, { m: messageText(seq) });
        for (const id of workerIds) boss.notifyWorker(id);
      },
      async consume(concurrency, onAcked) {
        const batchSize = Math.max(1, Math.round(concurrency / workers));
        const handle = async (job: PgJob): Promise<void> => {
          await boss.complete(name, job.id);
          onAcked(seqOfText(job.data.m));
        };
        for (let i = 0; i < workers; i += 1) {
          const options = { batchSize, pollingIntervalSeconds: 0.5 };
          workerIds.push(await boss.work(name, options, async (jobs) => void (await Promise.all(jobs.map(handle)))));
        }
      },
      async close() {
        await boss.stop({ graceful: false, wait: true, timeout: 2000 }).catch(() => undefined);
        await server.stop();
      },
    };
  },
};
