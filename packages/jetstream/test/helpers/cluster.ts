/**
 * Test support: a 3-node cluster per test file, in a temporary directory, on this package's port
 * range (14200-14249 for tests; the benchmark takes 14250-14299). Each file passes its own block
 * of 9 ports so files never share a cluster.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsCluster } from '@seglog/testkit';

export interface ClusterFixture {
  readonly cluster: NatsCluster;
  readonly root: string;
  dispose(): Promise<void>;
}

export async function startCluster(portBase: number): Promise<ClusterFixture> {
  const root = await mkdtemp(join(tmpdir(), 'seglog-jetstream-'));
  let cluster: NatsCluster;
  try {
    cluster = await NatsCluster.start({ dir: join(root, 'nats'), portBase });
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return {
    cluster,
    root,
    async dispose() {
      await cluster.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
