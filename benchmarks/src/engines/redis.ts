/**
 * One job: Redis (Debian's redis-server) through ioredis, appending to a Redis stream, as an engine
 * of the suite.
 *
 * Durable setting: `--appendonly yes --appendfsync always`. With it, Redis writes every command
 * to its append-only file and fdatasyncs it before it sends any reply in that event-loop turn, so a
 * reply means the command is on disk; commands from all clients that arrive in one turn share one
 * fdatasync (Redis does group commit too). `--save ""` turns off RDB snapshots, which are not part
 * of durability here. Each cell starts its own server on a free loopback port (14400-14499) in the cell's
 * temporary directory and stops it by pid.
 *
 * One append is `XADD log * d <payload>` (a stream: Redis's log type); `appendMany` is the same
 * inside MULTI/EXEC, so a batch is one atomic AOF entry. One connection carries every appender:
 * ioredis pipelines concurrent commands on it, as a Node service would use it.
 */
import type { EngineDefinition, EngineHandle } from '../lib/cell.js';
import { findBinary, freeLoopbackPort, missingServerReason, startServer } from '../lib/server.js';
import { reasonIfMissing, requireOptional } from './optional.js';

interface RedisClient {
  xadd(...args: Array<string | Uint8Array>): Promise<unknown>;
  multi(): { xadd(...args: Array<string | Uint8Array>): unknown; exec(): Promise<Array<[Error | null, unknown]> | null> };
  quit(): Promise<unknown>;
}
type RedisConstructor = new (options: { host: string; port: number; lazyConnect: boolean; maxRetriesPerRequest: number }) => RedisClient & { connect(): Promise<void> };

/** The durable server configuration, as command-line flags. */
export const redisDurableFlags = ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] as const;

export const redisEngine: EngineDefinition = {
  info: {
    name: 'redis',
    label: 'Redis AOF, appendfsync always (ioredis)',
    durable: true,
    durability: 'redis-server --appendonly yes --appendfsync always (fdatasync before replies)',
  },
  async unavailableReason() {
    return missingServerReason('redis-server', 'redis-server') ?? (await reasonIfMissing('ioredis'));
  },
  async open(dir: string): Promise<EngineHandle> {
    const { Redis } = await requireOptional<{ Redis: RedisConstructor }>('ioredis');
    const port = await freeLoopbackPort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...redisDurableFlags, '--daemonize', 'no'];
    const server = await startServer(findBinary('redis-server')!, args, dir, port);
    let client: (RedisClient & { connect(): Promise<void> }) | null = null;
    try {
      client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
      await client.connect();
    } catch (error) {
      await server.stop();
      throw error;
    }
    const redis = client;
    let appends = 0;
    return {
      serverPids: [server.pid],
      async append(payload) {
        await redis.xadd('log', '*', 'd', payload);
        appends += 1;
      },
      async appendMany(payloads) {
        const transaction = redis.multi();
        for (const payload of payloads) transaction.xadd('log', '*', 'd', payload);
        const replies = await transaction.exec();
        const failed = replies?.find(([error]) => error !== null);
        if (replies === null || failed !== undefined) throw failed?.[0] ?? new Error('MULTI/EXEC aborted');
        appends += payloads.length;
      },
      counters: () => ({ appends, flushes: null }),
      async close() {
        await redis.quit().catch(() => undefined);
        await server.stop();
      },
    };
  },
};
