/**
 * One job: trace the writer's HEAD for the follow benchmark (`follow --trace`): when each write of
 * the durable end completed and what it said, and when each HEAD fdatasync ran, so a record's
 * latency splits into acknowledgement -> published in HEAD (the writer) and published -> arrival
 * (the follower's wake-up and reads). A FileIO wrapper around the real engine; everything else
 * passes through, the notify socket included.
 */
import { HEAD_FILE_NAME, HEAD_SLOT_BYTES, decodeHeadSlot } from '@seglog/format';
import { wrapFileHandle, wrapFileIO } from '@seglog/testkit';
import type { FileHandle, FileIO } from '@seglog/types';

const nowNanos = (): number => Number(process.hrtime.bigint());

export interface HeadTrace {
  /** Start and completion time (ns, hrtime) and `durableOffset` of each HEAD slot write, in completion order. */
  readonly writes: Array<{ readonly startNanos: number; readonly atNanos: number; readonly durableOffset: number }>;
  /** Each HEAD fdatasync: start and end (ns). */
  readonly flushes: Array<{ readonly startNanos: number; readonly endNanos: number }>;
}

export function tracingHeadIo(inner: FileIO): { io: FileIO; trace: HeadTrace } {
  const trace: HeadTrace = { writes: [], flushes: [] };
  const wrap = (handle: FileHandle): FileHandle => wrapFileHandle(handle, {
    writev: async (buffers, position) => {
      const startNanos = nowNanos();
      await handle.writev(buffers, position);
      const at = nowNanos();
      const first = buffers[0];
      if (buffers.length === 1 && first !== undefined && first.length === HEAD_SLOT_BYTES) {
        const state = decodeHeadSlot(first, handle.path);
        if (state !== null) trace.writes.push({ startNanos, atNanos: at, durableOffset: state.durableOffset });
      }
    },
    datasync: async () => {
      const startNanos = nowNanos();
      await handle.datasync();
      trace.flushes.push({ startNanos, endNanos: nowNanos() });
    },
  });
  const io = wrapFileIO(inner, {
    wrapHandle: (handle, path, mode) => (path.endsWith(`/${HEAD_FILE_NAME}`) && mode !== 'read' ? wrap(handle) : handle),
  });
  return { io, trace };
}

/** Where the records' latencies went, over all records and over the slowest 1%. */
export interface FollowBreakdown {
  /** Acknowledgement -> the HEAD write that published the record completed, ms: p50, p99, max. */
  readonly ackToPublished: readonly [number, number, number];
  /** Published -> arrival in the follower, ms: p50, p99, max. */
  readonly publishedToArrival: readonly [number, number, number];
  /** Of the slowest 1% of records: how many, and their median split (ms) between the two parts. */
  readonly worst: {
    readonly records: number;
    readonly ackToPublishedMedian: number;
    readonly publishedToArrivalMedian: number;
    /** Of them, acknowledged while a HEAD fdatasync was running. */
    readonly duringFlush: number;
  };
  /**
   * Of all records, those acknowledged while a HEAD fdatasync ran: how many, and their ack ->
   * published, ms (p50 / p99 / max). With two slots they waited for the flush to end.
   */
  readonly ackedDuringFlush: { readonly records: number; readonly ackToPublished: readonly [number, number, number] };
  readonly headWrites: number;
  /** HEAD writes started while a HEAD fdatasync ran (0 with two slots: they waited for it). */
  readonly headWritesDuringFlush: number;
  readonly headFlushes: number;
  /** The slowest HEAD fdatasync, ms. */
  readonly slowestFlushMillis: number;
}

function percentiles(values: number[]): [number, number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] ?? Number.NaN;
  return [at(0.5), at(0.99), sorted[sorted.length - 1] ?? Number.NaN];
}

/**
 * `acks[i]` and `arrivals[i]` are the ns times of record `firstOffset + i`. A record is published by
 * the first HEAD write (in completion order) whose `durableOffset` passes it.
 */
export function breakDown(
  trace: HeadTrace,
  firstOffset: number,
  acks: readonly number[],
  arrivals: readonly number[],
): FollowBreakdown {
  const published: number[] = [];
  let write = 0;
  for (let i = 0; i < acks.length; i++) {
    const offset = firstOffset + i;
    while (write < trace.writes.length && trace.writes[write]!.durableOffset <= offset) write++;
    published.push(trace.writes[write]?.atNanos ?? Number.NaN);
  }
  const toMillis = (nanos: number): number => nanos / 1e6;
  const ackToPublished = acks.map((ack, i) => toMillis(published[i]! - ack));
  const publishedToArrival = arrivals.map((arrival, i) => toMillis(arrival - published[i]!));
  const latencies = arrivals.map((arrival, i) => arrival - acks[i]!);
  const order = latencies.map((_, i) => i).sort((a, b) => latencies[b]! - latencies[a]!);
  const worst = order.slice(0, Math.max(1, Math.floor(order.length / 100)));
  const flushRunning = (at: number): boolean =>
    trace.flushes.some((flush) => flush.startNanos <= at && at < flush.endNanos);
  const median = (values: number[]): number => percentiles(values)[0];
  const duringFlush = acks.map((_, i) => i).filter((i) => flushRunning(acks[i]!));
  return {
    ackToPublished: percentiles(ackToPublished),
    publishedToArrival: percentiles(publishedToArrival),
    worst: {
      records: worst.length,
      ackToPublishedMedian: median(worst.map((i) => ackToPublished[i]!)),
      publishedToArrivalMedian: median(worst.map((i) => publishedToArrival[i]!)),
      duringFlush: worst.filter((i) => flushRunning(acks[i]!)).length,
    },
    ackedDuringFlush: {
      records: duringFlush.length,
      ackToPublished: percentiles(duringFlush.map((i) => ackToPublished[i]!)),
    },
    headWrites: trace.writes.length,
    headWritesDuringFlush: trace.writes.filter((write) => flushRunning(write.startNanos)).length,
    headFlushes: trace.flushes.length,
    slowestFlushMillis: Math.max(0, ...trace.flushes.map((flush) => toMillis(flush.endNanos - flush.startNanos))),
  };
}
