/**
 * One job: a real 3-node NATS JetStream cluster on loopback for tests and benchmarks: start it,
 * kill and restart any node (the stream leader too), stop it and leave nothing running.
 *
 * Each node gets its own configuration as command-line flags (server name, client port, store
 * directory, cluster name and listen port, the three route URLs, a monitoring port) and runs in
 * its own session (`detached`: setsid), so a test kills exactly that process with a signal and
 * nothing else. Readiness comes from each node's monitoring endpoint (`/healthz?js-enabled-only`
 * and `/jsz`): JetStream is up and the cluster has elected a meta leader. Ports come from the
 * caller (the project gives each helper its own range), in a block of 9 from `portBase`.
 *
 * Every node this process started is SIGKILLed if the process exits any other way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface NatsClusterOptions {
  /** Directory under which each node keeps its JetStream store (`<dir>/<node>`). */
  readonly dir: string;
  /** First of 9 consecutive loopback ports: 3 client, 3 route, 3 monitoring. */
  readonly portBase: number;
  /** Default `/usr/sbin/nats-server` (Debian's package), else `nats-server` on PATH. */
  readonly binary?: string;
  /** Name of the cluster. Default `seglog`. */
  readonly name?: string;
}

export interface NatsNode {
  readonly name: string;
  readonly clientPort: number;
  readonly routePort: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  /** The running process's id, or null while the node is down. */
  readonly pid: number | null;
}

const NODE_COUNT = 3;
/** Generous: on a shared 2-core machine under heavy load, three servers electing a leader take a while. */
const READY_TIMEOUT_MILLIS = 90_000;
const running = new Set<ChildProcess>();
const endingSignals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
function killRunning(): void {
  for (const child of running) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
}
/**
 * The nodes run in their own sessions, so a signal that ends this process (a test runner's SIGINT
 * or SIGTERM) does not reach them. While any node runs, such a signal kills them first and is then
 * raised again, doing what it would have done; no listener is left once the last node is gone.
 */
function onEndingSignal(signal: NodeJS.Signals): void {
  killRunning();
  unwatchSignals();
  process.kill(process.pid, signal);
}
function watchSignals(): void {
  if (running.size === 1) for (const signal of endingSignals) process.on(signal, onEndingSignal);
}
function unwatchSignals(): void {
  for (const signal of endingSignals) process.off(signal, onEndingSignal);
}
process.on('exit', killRunning);

class Node {
  readonly name: string;
  readonly clientPort: number;
  readonly routePort: number;
  readonly monitorPort: number;
  readonly storeDir: string;
  child: ChildProcess | null = null;
  exited: Promise<void> = Promise.resolve();
  output = '';

  constructor(name: string, ports: { client: number; route: number; monitor: number }, storeDir: string) {
    this.name = name;
    this.clientPort = ports.client;
    this.routePort = ports.route;
    this.monitorPort = ports.monitor;
    this.storeDir = storeDir;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }
}

export class NatsCluster {
  readonly #binary: string;
  readonly #clusterName: string;
  readonly #nodes: Node[];

  private constructor(options: NatsClusterOptions) {
    this.#binary = options.binary ?? '/usr/sbin/nats-server';
    this.#clusterName = options.name ?? 'seglog';
    this.#nodes = Array.from({ length: NODE_COUNT }, (_, i) => {
      const base = options.portBase;
      const ports = { client: base + i, route: base + NODE_COUNT + i, monitor: base + 2 * NODE_COUNT + i };
      return new Node(`n${i + 1}`, ports, join(options.dir, `n${i + 1}`));
    });
  }

  /** Starts all three nodes and waits until JetStream is up and a meta leader is elected. */
  static async start(options: NatsClusterOptions): Promise<NatsCluster> {
    const cluster = new NatsCluster(options);
    try {
      for (const node of cluster.#nodes) cluster.#spawn(node);
      await cluster.waitReady();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** `127.0.0.1:<client port>` of every node, for the client's `servers`. */
  get servers(): string[] {
    return this.#nodes.map((node) => `127.0.0.1:${node.clientPort}`);
  }

  get nodes(): readonly NatsNode[] {
    return this.#nodes;
  }

  /** The node's flags: its whole configuration. */
  argsOf(node: NatsNode): string[] {
    const routes = this.#nodes.map((other) => `nats://127.0.0.1:${other.routePort}`).join(',');
    return [
      '--name', node.name, '-a', '127.0.0.1', '-p', String(node.clientPort), '-m', String(node.monitorPort),
      '-js', '-sd', node.storeDir,
      '--cluster_name', this.#clusterName, '--cluster', `nats://127.0.0.1:${node.routePort}`, '--routes', routes,
    ];
  }

  /** Kills one node (SIGKILL by default: no goodbye to its peers) and waits for it to exit. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.#node(name);
    const child = node.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    process.kill(child.pid!, signal);
    await node.exited;
  }

  /** Starts a killed node again on its store; resolves once it answers on its monitoring port. */
  async restart(name: string): Promise<void> {
    const node = this.#node(name);
    if (node.child !== null && node.child.exitCode === null && node.child.signalCode === null) return;
    this.#spawn(node);
    await this.#waitHealthy(node, Date.now() + READY_TIMEOUT_MILLIS);
  }

  /** Waits until every running node has JetStream up and sees the same meta leader. */
  async waitReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MILLIS;
    for (const node of this.#nodes) if (node.child !== null) await this.#waitHealthy(node, deadline);
    while (Date.now() < deadline) {
      const up = this.#nodes.filter((node) => node.child !== null);
      const leaders = await Promise.all(up.map((node) => metaLeaderOf(node)));
      if (leaders.every((leader) => leader !== null && leader === leaders[0])) return;
      await sleep(100);
    }
    throw new Error(`nats cluster: no meta leader within ${READY_TIMEOUT_MILLIS} ms\n${this.logs()}`);
  }

  /** The last lines each node printed, for a failing test's message. */
  logs(): string {
    return this.#nodes.map((node) => `--- ${node.name}\n${node.output.split('\n').slice(-15).join('\n')}`).join('\n');
  }

  /** Stops every node (SIGTERM, then SIGKILL after 10 s). Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(
      this.#nodes.map(async (node) => {
        const child = node.child;
        if (child === null || child.exitCode !== null || child.signalCode !== null) return;
        process.kill(child.pid!, 'SIGTERM');
        const late = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), 10_000);
        await node.exited;
        clearTimeout(late);
      }),
    );
  }

  #node(name: string): Node {
    const node = this.#nodes.find((candidate) => candidate.name === name);
    if (node === undefined) throw new TypeError(`no node named ${name} (nodes: ${this.#nodes.map((n) => n.name).join(', ')})`);
    return node;
  }

  #spawn(node: Node): void {
    const child = spawn(this.#binary, this.argsOf(node), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => {
      node.output = (node.output + chunk.toString('utf8')).slice(-64 * 1024);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    node.child = child;
    running.add(child);
    watchSignals();
    node.exited = new Promise((resolve) => child.once('exit', () => {
      running.delete(child);
      if (running.size === 0) unwatchSignals();
      resolve();
    }));
  }

  async #waitHealthy(node: Node, deadline: number): Promise<void> {
    while (Date.now() < deadline) {
      if (node.child === null || node.child.exitCode !== null) throw new Error(`nats node ${node.name} exited\n${node.output}`);
      const status = await fetchJson(`http://127.0.0.1:${node.monitorPort}/healthz?js-enabled-only=true`);
      if (status !== null && (status as { status?: unknown }).status === 'ok') return;
      await sleep(50);
    }
    throw new Error(`nats node ${node.name} not healthy in time\n${node.output}`);
  }
}

async function metaLeaderOf(node: Node): Promise<string | null> {
  const jsz = (await fetchJson(`http://127.0.0.1:${node.monitorPort}/jsz`)) as { meta_cluster?: { leader?: string } } | null;
  const leader = jsz?.meta_cluster?.leader;
  return typeof leader === 'string' && leader.length > 0 ? leader : null;
}

async function fetchJson(url: string): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return (await response.json());
  } catch {
    return null;
  }
}
