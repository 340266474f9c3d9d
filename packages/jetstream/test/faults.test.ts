/**
 * The proof: 100k records shipped to a real 3-node cluster while the stream leader is
 * killed and restarted, then a follower, and the shipper itself is killed -9 at random moments
 * and restarted. Afterwards the stream holds every record exactly once, in offset order, byte for
 * byte, and restore rebuilds an identical log. Seeded: `SEGLOG_SEED=<n>` replays the kill times.
 */
import test from 'ava';
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connect } from 'nats';
import { openLog, type Log } from '@seglog/store';
import { openReader } from '@seglog/reader';
import { Prng, seedFromEnv } from '@seglog/testkit';
import { restore } from '../src/index.js';
import { startCluster, type ClusterFixture } from './helpers/cluster.js';
import { assertExactlyOnce, dumpStream, payloadFor } from './helpers/records.js';

const RECORDS = 100_000;
const PAYLOAD_BYTES = 128;
const childScript = fileURLToPath(new URL('./helpers/shipper-child.ts', import.meta.url));

let fixture: ClusterFixture;
test.before(async () => {
  fixture = await startCluster(14210);
});
test.after.always(async () => {
  await fixture?.dispose();
});

class ShipperProcess {
  #child: ChildProcess | null = null;
  stderr = '';
  constructor(readonly args: string[]) {}

  async start(): Promise<void> {
    const child = fork(childScript, this.args, {
      execArgv: ['--import=tsx', '--conditions=@seglog/source'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`shipper exited (${code}) before it was ready: ${this.stderr}`)));
    });
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

/** The offset of the stream's last message, or -1. */
async function streamEnd(servers: string[], stream: string): Promise<number> {
  const connection = await connect({ servers, maxReconnectAttempts: 2 });
  try {
    const manager = await connection.jetstreamManager();
    const last = await manager.streams.getMessage(stream, { last_by_subj: `seglog.${stream}` }).catch(() => null);
    return last === null ? -1 : Number(last.header.get('Seglog-Offset'));
  } catch {
    return -1; // mid-election: no answer yet
  } finally {
    await connection.close();
  }
}

async function streamLeader(servers: string[], stream: string): Promise<string> {
  const connection = await connect({ servers, maxReconnectAttempts: 2 });
  try {
    for (;;) {
      const info = await (await connection.jetstreamManager()).streams.info(stream).catch(() => null);
      const leader = info?.cluster?.leader;
      if (leader !== undefined && leader !== '') return leader;
      await sleep(200);
    }
  } finally {
    await connection.close();
  }
}

async function waitShipped(servers: string[], stream: string, offset: number, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ((await streamEnd(servers, stream)) < offset) {
    if (Date.now() > deadline) throw new Error(`stream did not reach offset ${offset} (${what}) in 120 s`);
    await sleep(200);
  }
}

/** Appends RECORDS records in batches of 500 at about `perSecond`. */
async function writeSteadily(log: Log, perSecond: number): Promise<void> {
  for (let at = 0; at < RECORDS; at += 500) {
    const payloads = [];
    for (let offset = at; offset < Math.min(RECORDS, at + 500); offset++) {
      payloads.push(payloadFor(offset, PAYLOAD_BYTES));
    }
    await log.appendMany(payloads);
    await sleep(Math.round((500 / perSecond) * 1000));
  }
}

test('100k records through a leader kill, a follower kill and kill -9 of the shipper: exactly once, in order, restorable', async (t) => {
  const seed = seedFromEnv(16);
  const prng = new Prng(seed);
  t.log(`seed ${seed} (replay with SEGLOG_SEED=${seed})`);
  const { cluster } = fixture;
  const servers = cluster.servers;
  const stream = 'FAULTS';
  const dir = join(fixture.root, 'log');
  const log = await openLog({ dir });
  const writing = writeSteadily(log, 8000);
  const shipper = new ShipperProcess([dir, stream, ...servers]);
  try {
    await shipper.start();
    await waitShipped(servers, stream, prng.int(5_000, 15_000), 'before the leader kill');

    const leader = await streamLeader(servers, stream);
    t.log(`killing stream leader ${leader}`);
    await cluster.kill(leader);
    await sleep(prng.int(500, 3000));
    await shipper.kill(); // the shipper dies too while the election runs
    await shipper.start();
    await sleep(prng.int(3000, 6000));
    await cluster.restart(leader);
    await waitShipped(servers, stream, prng.int(30_000, 45_000), 'after the leader came back');

    const newLeader = await streamLeader(servers, stream);
    const follower = prng.pick(cluster.nodes.map((node) => node.name).filter((name) => name !== newLeader));
    t.log(`killing follower ${follower}`);
    await cluster.kill(follower);
    await waitShipped(servers, stream, prng.int(50_000, 60_000), 'with a follower down');
    await cluster.restart(follower);

    for (let kill = 0; kill < 3; kill++) {
      await sleep(prng.int(200, 1500));
      t.log('kill -9 of the shipper');
      await shipper.kill();
      await sleep(prng.int(0, 1000));
      await shipper.start();
    }
    await writing;
    await waitShipped(servers, stream, RECORDS - 1, 'at the end');
  } finally {
    await shipper.kill();
    await writing.catch(() => undefined);
    await log.close();
  }
  t.is(shipper.stderr.includes('shipper stopped'), false, shipper.stderr);

  assertExactlyOnce(await dumpStream(servers, stream), RECORDS, PAYLOAD_BYTES);
  const restored = await restore({ dir: join(fixture.root, 'restored'), servers, stream });
  t.is(restored.records, RECORDS);
  const copy = await openReader({ dir: restored.dir });
  let expected = 0;
  for await (const record of copy.read({ from: 0 })) {
    if (Buffer.compare(Buffer.from(record.payload), Buffer.from(payloadFor(expected, PAYLOAD_BYTES))) !== 0) t.fail(`restored offset ${expected} differs`);
    expected += 1;
  }
  await copy.close();
  t.is(expected, RECORDS);
});
