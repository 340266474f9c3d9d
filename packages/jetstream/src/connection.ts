/**
 * One job: the NATS connection of a shipper or a restore: the caller's, or one opened here that
 * reconnects forever (a cluster node restarting is routine) and is closed by whoever opened it.
 */
import { connect, type NatsConnection } from 'nats';
import { unavailable } from './nats-errors.js';

export interface HeldConnection {
  readonly connection: NatsConnection;
  /** Closes the connection if it was opened here; leaves a caller's connection alone. */
  release(): Promise<void>;
}

export async function holdConnection(
  given: NatsConnection | undefined,
  servers: readonly string[],
  name: string,
): Promise<HeldConnection> {
  if (given !== undefined) return { connection: given, release: () => Promise.resolve() };
  // noAsyncTraces: otherwise the client captures two stack traces per request (each publish is
  // one), for error context the shipper does not use; they were a fifth of its CPU per record.
  const options = {
    servers: [...servers],
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    noAsyncTraces: true,
  };
  const connection = await connect(options).catch((error: unknown) => {
    throw unavailable(`connecting to ${servers.join(', ')}`, error);
  });
  return {
    connection,
    release: async () => {
      await connection.close().catch(() => undefined);
    },
  };
}
