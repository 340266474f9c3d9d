/**
 * One job: where the embedded backend's garbage comes from. Runs the BullMQ workload on one peer
 * under V8's sampling heap profiler with the objects that minor and major GCs collected included
 * (the allocation rate, not what stays live), and prints the bytes allocated per job by function.
 * `--heap-prof` alone keeps only live objects, which says nothing about GC pressure.
 */
import { Session } from 'node:inspector/promises';
import type { BullmqPeerDefinition } from './peers.js';
import { measureBullmq } from './run.js';
import type { BullmqResult } from './run.js';
import { withTempDir } from '../lib/tmpdir.js';

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

export interface AllocationSite {
  readonly site: string;
  readonly bytesPerJob: number;
  readonly share: number;
}

export interface AllocationFigures {
  readonly result: BullmqResult;
  readonly bytesPerJob: number;
  readonly sites: readonly AllocationSite[];
}

/** The workload of `jobs` jobs at `concurrency`, sampled every `intervalBytes` allocated bytes. */
export async function profileAllocations(
  peer: BullmqPeerDefinition,
  jobs: number,
  concurrency: number,
  intervalBytes: number,
): Promise<AllocationFigures> {
  return withTempDir(async (dir) => {
    const session = new Session();
    session.connect();
    const opened = await peer.open(dir);
    try {
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: intervalBytes,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
      const result = await measureBullmq(opened, { jobs, concurrency, warmupJobs: 0 });
      const { profile } = await session.post('HeapProfiler.stopSampling');
      return { result, ...bySite(profile.head, jobs) };
    } finally {
      session.disconnect();
      await opened.close();
    }
  });
}

function bySite(head: ProfileNode, jobs: number): { bytesPerJob: number; sites: AllocationSite[] } {
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode): void => {
    const frame = node.callFrame;
    const where = frame.url.replace(/.*\/(packages|node_modules)\//, '$1/');
    const site = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    bytes.set(site, (bytes.get(site) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const child of node.children) walk(child);
  };
  walk(head);
  const sites = [...bytes]
    .sort((a, b) => b[1] - a[1])
    .map(([site, size]) => ({ site, bytesPerJob: size / jobs, share: total === 0 ? 0 : size / total }));
  return { bytesPerJob: total / jobs, sites };
}
