/**
 * One job: @seglog/queue in the owner-process topology as a peer of the end-to-end benchmark: one
 * process owns the queue (`main.js queue-owner <dir>`: openQueue + serveQueue, nothing else), and
 * the measuring process runs the 64 producers and the consumer over the local socket
 * (`connectQueue`): the shape of BullMQ's deployment (client process + Redis server) and of
 * pg-boss's. Enqueues and acks resolve in the client once the owner's record is durable, fenced
 * the same way as in one process (docs/queue.md, "Workers in other processes").
 *
 * The client's handler slots hand each message to the ack and take the next at once, as the
 * embedded peer's `process` does; a message counts as acked when its ack resolves here (the
 * owner's reply after the record is durable). Messages are encoded and identified as in the
 * embedded peer (message-codec.ts: slab views out, the fixed header read back). The owner reports
 * its own CPU time on request, so the table can show the CPU of both processes per message.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { connectQueue, openQueue, serveQueue } from '@seglog/queue';
import type { QueueOptions, RemoteConsumer, RemoteQueue } from '@seglog/queue';
import type { Command } from '../commands/command.js';
import { MessageSlabs, seqOfBytes } from './message-codec.js';
import type { PeerDefinition, QueuePeer } from './queue-peer.js';

const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));
const ownerStartMillis = 30_000;

type OwnerChild = ChildProcessByStdio<Writable, Readable, null>;

/** Starts the owner process and waits for its "ready" line; later lines answer "cpu" requests. */
async function startOwner(dir: string): Promise<{ child: OwnerChild; lines: AsyncIterator<string> }> {
  // SEGLOG_QUEUE_OWNER_OPTIONS: openQueue options for the owner (JSON), to compare settings.
  const extra = process.env.SEGLOG_QUEUE_OWNER_OPTIONS === undefined ? [] : [process.env.SEGLOG_QUEUE_OWNER_OPTIONS];
  const args = [...process.execArgv, mainScript, 'queue-owner', dir, ...extra];
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const timer = setTimeout(() => child.kill('SIGKILL'), ownerStartMillis);
  const first = await lines.next().finally(() => clearTimeout(timer));
  if (first.done === true || first.value !== 'ready') throw new Error(`queue owner did not start: ${String(first.value)}`);
  return { child, lines };
}

export const seglogOwnerPeer: PeerDefinition = {
  name: 'seglog-owner',
  label: 'seglog, owner process + client process',
  durability: 'as seglog, the queue in its own process; producers and consumer in the client over a unix socket',
  unavailableReason: () => Promise.resolve(null),
  async open(dir: string): Promise<QueuePeer> {
    const { child, lines } = await startOwner(dir);
    const remote: RemoteQueue = await connectQueue({ path: `${dir}/queue.sock` });
    let consumer: RemoteConsumer | null = null;
    let slots: Promise<void>[] = [];
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const slabs = new MessageSlabs();
    return {
      enqueue(seq) {
        return remote.enqueue(slabs.bytes(seq));
      },
      async consume(concurrency, onAcked) {
        const c = remote.consumer('bench', { concurrency, ackDeadlineMs: 60_000 });
        consumer = c;
        await c.ready;
        const slot = async (): Promise<void> => {
          for (let next = await c.next(); next.done !== true; next = await c.next()) {
            const seq = seqOfBytes(next.value.payload);
            next.value.ack().then(() => onAcked(seq), () => undefined);
          }
        };
        slots = Array.from({ length: concurrency }, slot);
      },
      async serverCpuMicros() {
        child.stdin.write('cpu\n');
        const line = await lines.next();
        if (line.done === true) throw new Error('queue owner exited');
        return Number(line.value);
      },
      async close() {
        consumer?.close();
        await Promise.all(slots);
        await remote.close();
        child.stdin.end();
        await exited;
      },
    };
  },
};

/** The owner process: serves the queue in `dir` until its stdin ends; "cpu" lines get its CPU µs. */
export const queueOwnerCommand: Command = {
  name: 'queue-owner',
  summary: '(internal) the owner process of the seglog-owner peer of queue-e2e',
  usage: 'usage: main.js queue-owner <dir> [openQueue options as JSON]',
  async run(argv) {
    const [dir, optionsText] = argv;
    if (dir === undefined) throw new TypeError('queue-owner needs a directory');
    const options = optionsText === undefined ? {} : (JSON.parse(optionsText) as Omit<QueueOptions, 'dir'>);
    const queue = await openQueue({ ...options, dir });
    const server = await serveQueue(queue);
    process.stdout.write('ready\n');
    for await (const line of createInterface({ input: process.stdin })) {
      if (line !== 'cpu') continue;
      const cpu = process.cpuUsage();
      process.stdout.write(`${cpu.user + cpu.system}\n`);
    }
    await server.close();
    await queue.close({ drainMs: 0 });
  },
};
