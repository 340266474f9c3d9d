/**
 * One job: the owner process of the `seglog-socket` peer (the owner-process topology). It owns the
 * log directory (`seglogBackend({ dir })`) and serves it on a unix socket; the benchmark's Queue and
 * Worker run in the parent's measuring process with `seglogBackend({ socket })`. This is the shape
 * of a Redis deployment (a client process and a server process), and it puts BullMQ's classes on
 * one core and the backend with its log on the other.
 *
 * Talks to its parent over the IPC channel of `fork`: sends `{ ready: path }` once serving, answers
 * `{ cpu: true }` with `{ cpuMicros }` (its own user + system CPU so far, so the parent can count
 * the owner's CPU per measured job), and on `{ stop: true }` closes the server and the log and exits.
 */
import { seglogBackend } from '@seglog/bullmq';

interface OwnerRequest {
  readonly cpu?: boolean;
  readonly stop?: boolean;
}

export async function runBullmqOwner(dir: string): Promise<void> {
  const send = process.send?.bind(process);
  if (send === undefined) throw new TypeError('bullmq-owner runs only as a forked child with an IPC channel');
  const factory = seglogBackend({ dir });
  const server = await factory.serve();
  process.on('message', (message: OwnerRequest) => {
    if (message.cpu === true) {
      const cpu = process.cpuUsage();
      send({ cpuMicros: cpu.user + cpu.system });
    }
    if (message.stop === true) {
      void server.close().then(() => factory.idle()).then(() => process.exit(0));
    }
  });
  // The parent died without stopping us: do not linger.
  process.on('disconnect', () => process.exit(1));
  send({ ready: server.path });
}
