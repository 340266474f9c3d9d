/**
 * One job: the embedded queue's own CPU per message, without the end-to-end harness around it.
 * `producers` closed loops each enqueue one shared 128-byte payload and wait until it is durable;
 * one consumer acks every message through `process` (a handler that does nothing, concurrency 64).
 * After a warm-up, a window of `seconds` counts the acked messages and the process's CPU
 * (process.cpuUsage, all threads): the queue, the machine and the log, nothing else. Run it under
 * `node --trace-gc-nvp` to sum the bytes allocated and promoted per message from the GC lines.
 * Issue 13 compares builds with it (docs/queue.md, "CPU and garbage per message").
 */
import { parseArgs } from 'node:util';
import { openQueue } from '@seglog/queue';
import { positiveInteger } from '../lib/args.js';
import { withTempDir } from '../lib/tmpdir.js';
import type { Command } from './command.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(dir: string, producers: number, seconds: number, concurrency: number): Promise<object> {
  const queue = await openQueue({ dir });
  const payload = new Uint8Array(128).fill(7);
  let acked = 0;
  let stop = false;
  const consumer = queue.consumer('bench', { concurrency, ackDeadlineMs: 60_000 });
  const consuming = consumer.process(() => void acked++);
  const produce = async (): Promise<void> => {
    while (!stop) await queue.enqueue(payload);
  };
  const loops = Array.from({ length: producers }, produce);
  await sleep(1_000);
  const ackedAtStart = acked;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  await sleep(seconds * 1_000);
  const cpu = process.cpuUsage(cpuStart);
  const elapsedSeconds = (performance.now() - started) / 1_000;
  const measured = acked - ackedAtStart;
  stop = true;
  await Promise.all(loops);
  consumer.close();
  await queue.close({ drainMs: 0 });
  await consuming;
  return {
    messagesPerSecond: Math.round(measured / elapsedSeconds),
    cpuMicrosPerMessage: Number(((cpu.user + cpu.system) / measured).toFixed(2)),
    measuredMessages: measured,
    totalAcked: acked,
  };
}

export const embeddedCpuCommand: Command = {
  name: 'embedded-cpu',
  summary: "the embedded queue's own CPU per message (enqueue, delivery, ack), without the e2e harness",
  usage: 'usage: main.js embedded-cpu [--producers 64] [--concurrency 64] [--seconds 4]  (JSON on stdout)',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: { producers: { type: 'string' }, concurrency: { type: 'string' }, seconds: { type: 'string' } },
    });
    const producers = positiveInteger(values.producers, '--producers', 64);
    const concurrency = positiveInteger(values.concurrency, '--concurrency', 64);
    const seconds = positiveInteger(values.seconds, '--seconds', 4);
    const result = await withTempDir((dir) => measure(dir, producers, seconds, concurrency));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
};
