/**
 * One job: the two halves of "one measurement of one peer in a fresh child process", shared by the
 * peer benchmarks (queue-e2e, bullmq): the parent runs `main.js <command> <peer> <shape JSON>` and
 * reads the JSON line it prints (lib/child.ts); the child opens the peer in a fresh temporary
 * directory (its own server, if any), measures, closes it, prints the result and exits.
 */
import { runChildJson } from './child.js';
import { withTempDir } from './tmpdir.js';

/** The longest one measurement may take (server start-up and the drain included). */
const measurementTimeoutMillis = 600_000;

/** Parent side: one measurement of `peer` by the child command `command`. */
export function runPeerChild<T>(command: string, peer: string, shape: unknown): Promise<T> {
  return runChildJson<T>({ command, args: [peer, JSON.stringify(shape)], timeoutMillis: measurementTimeoutMillis });
}

export interface ClosablePeer {
  close(): Promise<void>;
}

/** Child side: opens the peer in a fresh directory, measures it, prints the result as JSON and exits. */
export async function measurePeerInChild<P extends ClosablePeer, R>(
  open: (dir: string) => Promise<P>,
  measure: (peer: P) => Promise<R>,
): Promise<void> {
  const result = await withTempDir(async (dir) => {
    const peer = await open(dir);
    try {
      return await measure(peer);
    } finally {
      await peer.close();
    }
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Client libraries (ioredis, pg pools) may hold timers; the measurement is done.
  process.exit(0);
}
