/**
 * One job: run a peer's server (redis-server, nats-server) for one cell: find its binary, pick a
 * free loopback port of the suite's range (14400-14499), start it in the cell's temporary
 * directory, wait until it accepts connections, and stop it by its process id.
 *
 * The suite installs nothing: a missing binary makes the peer "skipped" with the reason and the
 * setup command (docs/benchmarks.md). A server that this process started is also killed if this
 * process exits any other way, so a failed cell never leaves a server behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, openSync, closeSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const extraBinDirs = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/sbin'];
const readyTimeoutMillis = 15_000;
const stopTimeoutMillis = 10_000;

/** The absolute path of `name` on PATH (or in the sbin directories Debian puts servers in), or null. */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraBinDirs];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

export function missingServerReason(name: string, debianPackage: string): string | null {
  return findBinary(name) === null ? `${name} not found (install it: apt-get install -y ${debianPackage})` : null;
}

/**
 * The loopback ports benchmark servers may use (the project gives the suite 14400-14499, so a
 * server a benchmark starts never takes a port another helper's tests or servers expect).
 */
export const benchPortFirst = 14400;
export const benchPortLast = 14499;

/**
 * A TCP port of the suite's range on 127.0.0.1 that was free a moment ago. The search starts at a
 * place drawn from this process's id, so two benchmark processes rarely try the same ports first.
 */
export async function freeLoopbackPort(): Promise<number> {
  const span = benchPortLast - benchPortFirst + 1;
  const start = process.pid % span;
  for (let i = 0; i < span; i += 1) {
    const port = benchPortFirst + ((start + i) % span);
    if (await canListen(port)) return port;
  }
  throw new Error(`no free loopback port in ${benchPortFirst}-${benchPortLast}`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface RunningServer {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
});

/** Starts `binary args` in `dir` (its output goes to dir/server.log) and waits for `port` to accept. */
export async function startServer(
  binary: string,
  args: readonly string[],
  dir: string,
  port: number,
  as: { readonly uid?: number; readonly gid?: number } = {},
): Promise<RunningServer> {
  const logFd = openSync(join(dir, 'server.log'), 'a');
  // `as`: another user's ids, for a server that refuses to run as root (PostgreSQL).
  const child = spawn(binary, [...args], { cwd: dir, stdio: ['ignore', logFd, logFd], ...as });
  closeSync(logFd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${binary}`);
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  try {
    await waitForPort(port, child);
  } catch (error) {
    if (child.exitCode === null) process.kill(pid, 'SIGKILL');
    throw new Error(`${binary} did not start (see ${join(dir, 'server.log')}): ${String(error)}`, { cause: error });
  }
  return {
    pid,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(pid, 'SIGTERM');
      // The grace timer is cancelled once the server exits, or it would hold this process open.
      const grace = new AbortController();
      const stopped = await Promise.race([
        exited.then(() => true),
        sleep(stopTimeoutMillis, false, { signal: grace.signal }).catch(() => false),
      ]);
      grace.abort();
      if (!stopped) {
        process.kill(pid, 'SIGKILL');
        await exited;
      }
    },
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + readyTimeoutMillis;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (await canConnect(port)) return;
    await sleep(20);
  }
  throw new Error(`port ${port} not accepting after ${readyTimeoutMillis} ms`);
}

/** True when something on loopback accepts a connection on `port`. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
