/**
 * Test support: a 3-node cluster per test file, in a temporary directory, on this package's port
 * range (14200-14239 for these clusters, 14240 for the CLI's single node; the benchmark takes
 * 14250-14299). A cluster takes a block of 9 ports, 10 apart. Each file names its preferred
 * block; when a port of it is taken (another worktree running the same tests on this shared
 * machine) it takes the next free block, so concurrent runs do not fail each other.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsCluster } from '@seglog/testkit';

export interface ClusterFixture {
  readonly cluster: NatsCluster;
  readonly root: string;
  dispose(): Promise<void>;
}

const BLOCKS = [14200, 14210, 14220, 14230];
const PORTS_PER_CLUSTER = 9;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function blockFree(base: number): Promise<boolean> {
  for (let port = base; port < base + PORTS_PER_CLUSTER; port++) if (!(await portFree(port))) return false;
  return true;
}

export async function startCluster(preferredBase: number): Promise<ClusterFixture> {
  const root = await mkdtemp(join(tmpdir(), 'seglog-jetstream-'));
  const bases = [preferredBase, ...BLOCKS.filter((base) => base !== preferredBase)];
  let lastError: unknown = new Error(`no free block of ${PORTS_PER_CLUSTER} ports among ${bases.join(', ')}`);
  for (const portBase of bases) {
    if (!(await blockFree(portBase))) continue;
    try {
      const cluster = await NatsCluster.start({ dir: join(root, `nats-${portBase}`), portBase });
      return {
        cluster,
        root,
        async dispose() {
          await cluster.stop();
          await rm(root, { recursive: true, force: true });
        },
      };
    } catch (error) {
      lastError = error; // taken between the check and the bind: try the next block
    }
  }
  await rm(root, { recursive: true, force: true });
  throw lastError;
}
