/**
 * One job: the queue at scale (issue 13): what 1 million messages in flight with deadlines cost,
 * and how long a queue takes to open after a crash (SIGKILL) with 1 million unsettled messages.
 *
 * - timer operations: a TimingWheel (the queue's, 10 ms ticks) schedules N timers due over the
 *   next 60 s, cancels half (an ack), then advances through all of them: CPU µs per operation.
 * - in flight: a child with --expose-gc enqueues N 128-byte messages, then one consumer with
 *   concurrency N takes them all, each leased for an hour (a lease timer each): heap bytes per held
 *   message and per in-flight message, and deliveries/s.
 * - open after a crash: a child enqueues N messages (default snapshot policy), leases 10,000 of
 *   them to a consumer, and SIGKILLs itself once everything is durable; then `openQueue` is timed
 *   (snapshot load + replay of the records after it), and the time to the first delivery.
 *
 * Run it alone: `flock /tmp/seglog-bench.lock node benchmarks/dist/main.js queue-scale`.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openQueue } from '@seglog/queue';
import type { QueueMessage } from '@seglog/queue';
import { TimingWheel } from '@seglog/queue/machine';
import { positiveInteger } from '../lib/args.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Command } from './command.js';

const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));
const payload = new Uint8Array(128).fill(7);
const enqueueBatch = 2000;

interface TimerFigures {
  readonly timers: number;
  readonly scheduleMicros: number;
  readonly cancelMicros: number;
  readonly fireMicros: number;
}

interface MemoryFigures {
  readonly messages: number;
  readonly heldBytesPerMessage: number;
  readonly inFlightExtraBytesPerMessage: number;
  readonly deliveriesPerSecond: number;
  readonly enqueuesPerSecond: number;
}

interface OpenFigures {
  readonly messages: number;
  readonly openMs: number;
  /** CPU of the open (user + system, this process): robust where the machine is shared. */
  readonly openCpuMs: number;
  readonly firstDeliveryMs: number;
  readonly replayedRecords: number;
  readonly snapshotOffsetAtOpen: number | null;
  readonly logBytes: number;
  readonly heapMiBAfterOpen: number;
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** CPU per schedule, cancel and fire on the queue's wheel, N timers spread over 60 s. */
function measureTimers(count: number): TimerFigures {
  const wheel = new TimingWheel<number>({ tickMs: 10, startMs: 0 });
  const due = Array.from({ length: count }, (_, i) => 10 + ((i * 7919) % 60_000));
  let start = process.cpuUsage();
  const timers = due.map((ms, i) => wheel.schedule(i, ms));
  const scheduleMicros = cpuMicros(start) / count;
  start = process.cpuUsage();
  for (let i = 0; i < count; i += 2) wheel.cancel(timers[i]!);
  const cancelMicros = cpuMicros(start) / Math.ceil(count / 2);
  start = process.cpuUsage();
  let fired = 0;
  for (let now = 0; now <= 60_020; now += 10) fired += wheel.advance(now).length;
  const fireMicros = cpuMicros(start) / Math.max(1, fired);
  if (fired !== Math.floor(count / 2)) throw new Error(`the wheel fired ${fired} timers, expected ${Math.floor(count / 2)}`);
  return { timers: count, scheduleMicros, cancelMicros, fireMicros };
}

async function fill(queue: Awaited<ReturnType<typeof openQueue>>, count: number): Promise<void> {
  for (let done = 0; done < count; done += enqueueBatch) {
    await queue.enqueueMany(Array.from({ length: Math.min(enqueueBatch, count - done) }, () => ({ payload })));
  }
}

interface ChildEnd {
  readonly code: number | null;
  readonly signal: string | null;
  readonly stdout: string;
}

function runChild(args: readonly string[], nodeFlags: readonly string[] = []): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, mainScript, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, stdout }));
  });
}

async function measureOpen(dir: string, count: number): Promise<OpenFigures> {
  const filled = await runChild(['queue-scale-fill', dir, String(count)]);
  if (filled.signal !== 'SIGKILL') throw new Error(`queue-scale-fill ended with ${filled.code ?? filled.signal}, not SIGKILL`);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const queue = await openQueue({ dir });
  const openMs = performance.now() - started;
  const openCpuMs = cpuMicros(cpuStart) / 1000;
  const consumer = queue.consumer('work', { concurrency: 1, ackDeadlineMs: 3_600_000 })[Symbol.asyncIterator]();
  const first = await consumer.next();
  const firstDeliveryMs = performance.now() - started;
  if (first.done === true) throw new Error('no delivery after reopen');
  const heapMiBAfterOpen = process.memoryUsage().heapUsed / 2 ** 20;
  const { replayedRecords, snapshotOffsetAtOpen } = queue.machine.stats;
  const logBytes = await directoryBytes(`${dir}/log`);
  const backlog = queue.stats('work');
  const unsettled = backlog.backlog + backlog.inFlight;
  if (unsettled !== count) throw new Error(`reopened with ${unsettled} unsettled, expected ${count}`);
  await queue.close({ drainMs: 0 });
  const figures = {
    messages: count, openMs, openCpuMs, firstDeliveryMs, replayedRecords, snapshotOffsetAtOpen, logBytes,
  };
  return { ...figures, heapMiBAfterOpen };
}

async function directoryBytes(dir: string): Promise<number> {
  const { readdir, stat } = await import('node:fs/promises');
  let total = 0;
  for (const name of await readdir(dir)) {
    const info = await stat(`${dir}/${name}`);
    if (info.isFile()) total += info.size;
  }
  return total;
}

export function renderQueueScale(timers: TimerFigures, memory: MemoryFigures, open: OpenFigures): string {
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
  return [
    '| what | figure |',
    '| --- | ---: |',
    `| wheel schedule, CPU per timer (${timers.timers.toLocaleString('en-US')} timers over 60 s) | ${timers.scheduleMicros.toFixed(3)} µs |`,
    `| wheel cancel, CPU per timer | ${timers.cancelMicros.toFixed(3)} µs |`,
    `| wheel fire (advance), CPU per timer | ${timers.fireMicros.toFixed(3)} µs |`,
    `| a held (unsettled) message, heap (${memory.messages.toLocaleString('en-US')} messages) | ${memory.heldBytesPerMessage} bytes |`,
    `| a message in flight with its deadline, extra heap | ${memory.inFlightExtraBytesPerMessage} bytes |`,
    `| enqueue (enqueueMany of ${enqueueBatch}) | ${Math.round(memory.enqueuesPerSecond).toLocaleString('en-US')} messages/s |`,
    `| delivery into ${memory.messages.toLocaleString('en-US')} waiting slots | ${Math.round(memory.deliveriesPerSecond).toLocaleString('en-US')} messages/s |`,
    `| open after SIGKILL, ${open.messages.toLocaleString('en-US')} unsettled (snapshot at ${open.snapshotOffsetAtOpen ?? 'none'}, ${open.replayedRecords} records replayed, ${mib(open.logBytes)} MiB log) | ${Math.round(open.openMs).toLocaleString('en-US')} ms |`,
    `| ... CPU of that open | ${Math.round(open.openCpuMs).toLocaleString('en-US')} ms |`,
    `| ... to the first delivery | ${Math.round(open.firstDeliveryMs).toLocaleString('en-US')} ms |`,
    `| heap after that open | ${open.heapMiBAfterOpen.toFixed(0)} MiB |`,
  ].join('\n');
}

export const queueScaleCommand: Command = {
  name: 'queue-scale',
  summary: 'queue at scale: 1 million messages in flight with deadlines (memory, CPU per timer operation), ' +
    'open time after SIGKILL with 1 million unsettled',
  usage: 'usage: main.js queue-scale [--messages 1000000] [--json FILE] [--open-only]',
  async run(argv) {
    const options = { messages: { type: 'string' }, json: { type: 'string' }, 'open-only': { type: 'boolean' } } as const;
    const { values } = parseArgs({ args: [...argv], options });
    const count = positiveInteger(values.messages ?? '1000000', '--messages');
    if (values['open-only'] === true) {
      console.log(JSON.stringify(await withTempDir((dir) => measureOpen(dir, count))));
      return;
    }
    const timers = measureTimers(count);
    console.error(`  timers: ${JSON.stringify(timers)}`);
    const child = await runChild(['queue-scale-memory', String(count)], ['--expose-gc']);
    if (child.code !== 0) throw new Error(`queue-scale-memory exited with ${child.code ?? child.signal}`);
    const memory = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as MemoryFigures;
    console.error(`  memory: ${JSON.stringify(memory)}`);
    const open = await withTempDir((dir) => measureOpen(dir, count));
    console.error(`  open: ${JSON.stringify(open)}`);
    console.log(renderQueueScale(timers, memory, open));
    if (values.json !== undefined) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(values.json, `${JSON.stringify({ timers, memory, open }, null, 2)}\n`);
    }
  },
};

function heapBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** The child of the memory measurement (needs --expose-gc); prints MemoryFigures as JSON. */
export const queueScaleMemoryCommand: Command = {
  name: 'queue-scale-memory',
  summary: '(internal) the in-flight memory part of queue-scale',
  usage: 'usage: node --expose-gc main.js queue-scale-memory <messages>',
  async run(argv) {
    const count = positiveInteger(argv[0], 'messages');
    const figures = await withTempDir(async (dir): Promise<MemoryFigures> => {
      // No snapshots: the figure is the state's memory, not a snapshot's transient buffers.
      const queue = await openQueue({
        dir,
        snapshotEveryRecords: 1_000_000_000,
        snapshotEveryBytes: 2 ** 40,
        payloadCacheBytes: 0,
      });
      const empty = heapBytes();
      let started = performance.now();
      await fill(queue, count);
      const enqueuesPerSecond = count / ((performance.now() - started) / 1000);
      const held = heapBytes();
      const consumer = queue.consumer('work', { concurrency: count, ackDeadlineMs: 3_600_000 });
      const messages: QueueMessage[] = [];
      started = performance.now();
      const take = (): Promise<void> => consumer.next().then((next) => void messages.push(next.value as QueueMessage));
      await Promise.all(Array.from({ length: count }, take));
      const deliveriesPerSecond = count / ((performance.now() - started) / 1000);
      const inFlight = heapBytes();
      if (queue.stats('work').inFlight !== count) throw new Error(`${queue.stats('work').inFlight} in flight, expected ${count}`);
      await queue.close({ drainMs: 0 });
      return {
        messages: count,
        heldBytesPerMessage: Math.round((held - empty) / count),
        inFlightExtraBytesPerMessage: Math.round((inFlight - held) / count),
        deliveriesPerSecond,
        enqueuesPerSecond,
      };
    });
    process.stdout.write(`${JSON.stringify(figures)}\n`);
  },
};

/** The child of the crash measurement: fills the queue, leases some, and SIGKILLs itself. */
export const queueScaleFillCommand: Command = {
  name: 'queue-scale-fill',
  summary: '(internal) fills a queue for queue-scale and dies by SIGKILL',
  usage: 'usage: main.js queue-scale-fill <dir> <messages>',
  async run(argv) {
    const [dir, countText] = argv;
    if (dir === undefined) throw new TypeError('queue-scale-fill needs a directory');
    const count = positiveInteger(countText, 'messages');
    const queue = await openQueue({ dir });
    const consumer = queue.consumer('work', { concurrency: 10_000, ackDeadlineMs: 3_600_000 })[Symbol.asyncIterator]();
    await fill(queue, count);
    await Promise.all(Array.from({ length: Math.min(10_000, count) }, () => consumer.next()));
    // Everything above resolved durable: the kill loses nothing, and the open must find all of it.
    process.kill(process.pid, 'SIGKILL');
  },
};
