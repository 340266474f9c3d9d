/**
 * One job: the backends the BullMQ benchmark compares, each a BullMQ `BackendFactory` for the same
 * BullMQ 6.7.6 classes, opened in a fresh directory with its own server:
 *
 * - `seglog`: @seglog/bullmq on a log directory (every add and state change fdatasynced before it
 *   resolves, through the group commit), embedded in the measuring process;
 * - `seglog-socket`: the same backend in an owner process of its own (owner.ts), BullMQ's Queue and
 *   Worker in the measuring process over the local socket (`seglogBackend({ socket })`): the shape
 *   of the Redis deployment, one process per core;
 * - `redis-always`: BullMQ's Redis backend on Debian's redis-server with `appendfsync always` (the AOF
 *   is fdatasynced before each reply: durable);
 * - `redis-everysec`: the same with `appendfsync everysec`, Redis's recommended setting: up to a
 *   second of acknowledged jobs is lost on power failure (NOT durable, shown for reference);
 * - `postgres`: BullMQ's own PostgreSQL backend (`createPostgresBackend`, bullmq >= 6.7) on Debian's
 *   PostgreSQL 15 with `synchronous_commit = on` and `fsync = on` (durable).
 *
 * Servers listen on 127.0.0.1, ports 14300-14349 for Redis (the BullMQ benchmark's range) and
 * 14350-14399 for PostgreSQL (the queue benchmarks' server helper, shared).
 */
import { fork, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BackendFactory } from 'bullmq';
import { seglogBackend } from '@seglog/bullmq';
import { findBinary, startServer } from '../lib/server.js';
import type { RunningServer } from '../lib/server.js';
import { postgresMissingReason, startPostgres } from '../queue/peer-servers.js';

export const bullmqPortFirst = 14300;
export const bullmqPortLast = 14349;

export interface BullmqPeer {
  readonly factory: BackendFactory;
  /** The user + system CPU µs so far of the peer's own server process, where it has one we count. */
  serverCpuMicros?(): Promise<number>;
  close(): Promise<void>;
}

export interface BullmqPeerDefinition {
  readonly name: string;
  readonly durable: boolean;
  readonly durability: string;
  unavailableReason(): Promise<string | null>;
  open(dir: string): Promise<BullmqPeer>;
}

interface BullmqModule {
  createRedisBackend: (name: string, opts: object, options?: object) => ReturnType<BackendFactory>;
  createPostgresBackend?: (name: string, opts: object, options?: object) => ReturnType<BackendFactory>;
}

async function bullmq(): Promise<BullmqModule> {
  return (await import('bullmq')) as unknown as BullmqModule;
}

async function freeBullmqPort(): Promise<number> {
  const span = bullmqPortLast - bullmqPortFirst + 1;
  for (let i = 0; i < span; i += 1) {
    const port = bullmqPortFirst + ((process.pid + i) % span);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free loopback port in ${bullmqPortFirst}-${bullmqPortLast}`);
}

async function startRedis(dir: string, appendfsync: 'always' | 'everysec'): Promise<RunningServer> {
  const binary = findBinary('redis-server');
  if (binary === null) throw new Error('redis-server not found (apt-get install -y redis-server)');
  const port = await freeBullmqPort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes',
    '--appendfsync', appendfsync, '--save', '', '--daemonize', 'no'];
  return startServer(binary, args, dir, port);
}

const seglogPeer: BullmqPeerDefinition = {
  name: 'seglog',
  durable: true,
  durability: '@seglog/bullmq: every add and state change fdatasynced (group commit) before it resolves',
  unavailableReason: () => Promise.resolve(null),
  open(dir) {
    const factory = seglogBackend({ dir });
    return Promise.resolve({ factory, close: () => factory.idle() });
  },
};

/** dist/main.js (this file is dist/bullmq/peers.js). */
const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));

/** The next IPC message of `child` that has `field`. */
function nextMessage<T>(child: ChildProcess, field: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: Record<string, unknown>): void => {
      if (!(field in message)) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message[field] as T);
    };
    const onExit = (code: number | null): void => {
      child.off('message', onMessage);
      reject(new Error(`the bullmq owner process exited (${String(code)}) before sending ${field}`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

const seglogSocketPeer: BullmqPeerDefinition = {
  name: 'seglog-socket',
  durable: true,
  durability: '@seglog/bullmq in an owner process of its own (the log, its group commit); Queue and Worker in the ' +
    'measuring process over the unix socket (`seglogBackend({ socket })`); durable as seglog',
  unavailableReason: () => Promise.resolve(null),
  async open(dir) {
    const owner = fork(mainScript, ['bullmq-owner', dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const socket = await nextMessage<string>(owner, 'ready');
    const factory = seglogBackend({ socket });
    return {
      factory,
      serverCpuMicros() {
        const reply = nextMessage<number>(owner, 'cpuMicros');
        owner.send({ cpu: true });
        return reply;
      },
      async close() {
        const exited = new Promise<void>((resolve) => owner.once('exit', () => resolve()));
        owner.send({ stop: true });
        await exited;
      },
    };
  },
};

function redisPeer(appendfsync: 'always' | 'everysec'): BullmqPeerDefinition {
  return {
    name: `redis-${appendfsync}`,
    durable: appendfsync === 'always',
    durability: appendfsync === 'always'
      ? 'redis-server --appendfsync always (AOF fdatasync before each reply)'
      : 'redis-server --appendfsync everysec: NOT durable (up to 1 s of acknowledged jobs lost on power failure)',
    unavailableReason: () =>
      Promise.resolve(findBinary('redis-server') === null ? 'redis-server not found (apt-get install -y redis-server)' : null),
    async open(dir) {
      const { createRedisBackend } = await bullmq();
      const server = await startRedis(dir, appendfsync);
      const connection = { host: '127.0.0.1', port: server.port, maxRetriesPerRequest: null };
      const factory: BackendFactory = (name, opts, options) =>
        createRedisBackend(name, { ...opts, connection }, options);
      return { factory, close: () => server.stop() };
    },
  };
}

const postgresPeer: BullmqPeerDefinition = {
  name: 'postgres',
  durable: true,
  durability: "BullMQ's PostgreSQL backend, PostgreSQL 15 synchronous_commit = on, fsync = on",
  async unavailableReason() {
    const missing = postgresMissingReason();
    if (missing !== null) return missing;
    return (await bullmq()).createPostgresBackend === undefined ? 'this bullmq has no createPostgresBackend (needs >= 6.7)' : null;
  },
  async open(dir) {
    const { createPostgresBackend } = await bullmq();
    if (createPostgresBackend === undefined) throw new Error('bullmq has no createPostgresBackend');
    const server = await startPostgres(dir);
    await untilAcceptingQueries(server.port);
    const connection = { connectionString: `postgres://postgres@127.0.0.1:${server.port}/postgres`, migrate: true };
    const factory: BackendFactory = (name, opts, options) =>
      createPostgresBackend(name, { ...opts, connection }, options);
    return { factory, close: () => server.stop() };
  },
};

/**
 * PostgreSQL accepts TCP connections before it accepts queries ("the database system is starting
 * up"); BullMQ's backend would fail its bootstrap then. pg_isready says when it is ready.
 */
async function untilAcceptingQueries(port: number): Promise<void> {
  const binary = findBinary('pg_isready') ?? '/usr/lib/postgresql/15/bin/pg_isready';
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ready = await new Promise<boolean>((resolve) => {
      const child = spawn(binary, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres'], { stdio: 'ignore' });
      child.once('error', () => resolve(false));
      child.once('exit', (code) => resolve(code === 0));
    });
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`PostgreSQL on port ${port} not ready after 30 s`);
}

export const bullmqPeers: readonly BullmqPeerDefinition[] = [
  seglogPeer, seglogSocketPeer, redisPeer('always'), redisPeer('everysec'), postgresPeer,
];
