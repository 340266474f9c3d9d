/**
 * One job: NATS JetStream (Debian's nats-server) through the `nats` client, publishing to a
 * file-storage stream, as an engine of the suite.
 *
 * Durability: NOT durable per acknowledgement on the server Debian ships (2.9). JetStream's file
 * store writes each message to its block file and acknowledges; it fsyncs on a timer (every two
 * minutes by default). The setting that would sync every write, `jetstream { sync_interval: always }`,
 * only exists from nats-server 2.10 on: 2.9 rejects the field ("unknown field"), so the strongest
 * setting this version accepts is its default, and the suite reports the peer as not durable. Its
 * numbers are shown for what users compare against, not as a durable peer: they are excluded from
 * "best durable peer".
 *
 * One append is one `js.publish` awaiting its PubAck; `appendMany` publishes the batch and awaits
 * every ack (JetStream 2.9 has no batch publish). One connection carries every appender.
 */
import type { EngineDefinition, EngineHandle } from '../lib/cell.js';
import { findBinary, freeLoopbackPort, missingServerReason, startServer } from '../lib/server.js';
import { reasonIfMissing, requireOptional } from './optional.js';
import { join } from 'node:path';

interface NatsConnection {
  jetstreamManager(): Promise<{ streams: { add(config: Record<string, unknown>): Promise<unknown> } }>;
  jetstream(): { publish(subject: string, payload: Uint8Array): Promise<unknown> };
  drain(): Promise<void>;
}
interface NatsModule {
  connect(options: { servers: string; maxReconnectAttempts: number }): Promise<NatsConnection>;
  StorageType: { File: string };
}

export const natsEngine: EngineDefinition = {
  info: {
    name: 'nats',
    label: 'NATS JetStream 2.9, file storage (nats)',
    durable: false,
    durability: 'no per-ack sync in nats-server 2.9 (sync_interval: always needs 2.10+); fsync every 2 min: NOT durable per ack',
  },
  async unavailableReason() {
    return missingServerReason('nats-server', 'nats-server') ?? (await reasonIfMissing('nats'));
  },
  async open(dir: string): Promise<EngineHandle> {
    const nats = await requireOptional<NatsModule>('nats');
    const port = await freeLoopbackPort();
    const args = ['-js', '-sd', join(dir, 'jetstream'), '-a', '127.0.0.1', '-p', String(port)];
    const server = await startServer(findBinary('nats-server')!, args, dir, port);
    let connection: NatsConnection;
    try {
      connection = await nats.connect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
      const manager = await connection.jetstreamManager();
      await manager.streams.add({ name: 'LOG', subjects: ['log'], storage: nats.StorageType.File });
    } catch (error) {
      await server.stop();
      throw error;
    }
    const js = connection.jetstream();
    let appends = 0;
    return {
      serverPids: [server.pid],
      async append(payload) {
        await js.publish('log', payload);
        appends += 1;
      },
      async appendMany(payloads) {
        await Promise.all(payloads.map((payload) => js.publish('log', payload)));
        appends += payloads.length;
      },
      counters: () => ({ appends, flushes: null }),
      async close() {
        await connection.drain().catch(() => undefined);
        await server.stop();
      },
    };
  },
};
