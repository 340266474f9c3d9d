/**
 * One job: the servers of the queue benchmark's peers, started and stopped by the benchmark on
 * loopback ports of the queue benchmarks' range (14350-14399, apart from the suite's 14400-14499):
 * Debian's redis-server with `appendfsync always`, and Debian's PostgreSQL 15 with
 * `synchronous_commit = on` (and `fsync = on`), each in its own temporary directory.
 *
 * PostgreSQL refuses to run as root, so when this process is root the cluster is created and run
 * as the `postgres` user (Debian's package creates it), with the data directory chowned to it.
 */
import { spawn } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { findBinary, startServer, type RunningServer } from '../lib/server.js';

export const queuePortFirst = 14350;
export const queuePortLast = 14399;

/** A free TCP port of 14350-14399 on 127.0.0.1 (the search starts at a place drawn from the pid). */
export async function freeQueuePort(): Promise<number> {
  const span = queuePortLast - queuePortFirst + 1;
  for (let i = 0; i < span; i += 1) {
    const port = queuePortFirst + ((process.pid + i) % span);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port in ${queuePortFirst}-${queuePortLast}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The flags that make every acknowledged Redis write durable: fdatasync of the AOF before replies. */
export const redisAlwaysFlags = ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''] as const;

export function redisMissingReason(): string | null {
  return findBinary('redis-server') === null ? 'redis-server not found (apt-get install -y redis-server)' : null;
}

export async function startRedis(dir: string): Promise<RunningServer> {
  const binary = findBinary('redis-server');
  if (binary === null) throw new Error('redis-server not found (apt-get install -y redis-server)');
  const port = await freeQueuePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...redisAlwaysFlags, '--daemonize', 'no'];
  return startServer(binary, args, dir, port);
}

/** Where Debian puts PostgreSQL 15's server binaries. */
const pgBin = '/usr/lib/postgresql/15/bin';

/** The path of PostgreSQL's `name` binary (Debian's versioned directory first), or null. */
function pgBinary(name: string): string | null {
  try {
    accessSync(join(pgBin, name), constants.X_OK);
    return join(pgBin, name);
  } catch {
    return findBinary(name);
  }
}

export function postgresMissingReason(): string | null {
  return pgBinary('initdb') === null || pgBinary('postgres') === null
    ? 'PostgreSQL 15 not found (apt-get install -y postgresql-15)'
    : null;
}

interface RunAs {
  readonly uid?: number;
  readonly gid?: number;
}

/** The postgres user's ids when this process is root (PostgreSQL will not run as root). */
async function runAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return {};
  const { execFileSync } = await import('node:child_process');
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function run(binary: string, args: readonly string[], as: RunAs): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args], { stdio: ['ignore', 'ignore', 'pipe'], ...as });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} exited ${code}: ${stderr}`))));
  });
}

/** initdb + postgres with synchronous_commit = on; the returned server's port takes TCP connections. */
export async function startPostgres(dir: string): Promise<RunningServer> {
  const as = await runAs();
  const data = join(dir, 'pgdata');
  const sockets = join(dir, 'pgsock');
  mkdirSync(data, { recursive: true });
  mkdirSync(sockets, { recursive: true });
  if (as.uid !== undefined) {
    // The temp dir is root's and 0700: the postgres user must be able to reach its data.
    chmodSync(dir, 0o755);
    for (const path of [data, sockets]) chownSync(path, as.uid, as.gid!);
  }
  await run(pgBinary('initdb')!, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'], as);
  const port = await freeQueuePort();
  const args = [
    '-D', data, '-p', String(port), '-k', sockets,
    '-c', 'listen_addresses=127.0.0.1',
    '-c', 'synchronous_commit=on',
    '-c', 'fsync=on',
    '-c', 'max_connections=200',
  ];
  return startServer(pgBinary('postgres')!, args, dir, port, as);
}
