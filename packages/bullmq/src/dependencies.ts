/**
 * One job: the read side of flows: a parent's children by kind (processed, pending, ignored,
 * failed), counted, paged with cursors, and `paginate` over `<id>:dependencies` / `<id>:processed`
 * keys, in the shapes BullMQ's Job and Queue classes read from the Redis backend.
 */
import type { DependenciesOpts, JobJson } from 'bullmq';
import type { Universe } from './state/flows.js';
import { findJob } from './state/flows.js';
import type { JobRecord } from './state/job-record.js';
import { toJobJson } from './state/job-record.js';

export interface DependencyPages {
  processed?: Record<string, unknown>;
  unprocessed?: string[];
  ignored?: Record<string, unknown>;
  failed?: string[];
  nextProcessedCursor?: number;
  nextUnprocessedCursor?: number;
  nextIgnoredCursor?: number;
  nextFailedCursor?: number;
}

export interface Page {
  cursor: string;
  items: { id: string; v?: unknown; err?: string }[];
  total: number;
  jobs?: JobJson[];
}

const PAGE_DEFAULT = { cursor: 0, count: 20 };

export function counts(job: JobRecord | undefined, types: readonly string[]): number[] {
  return types.map((type) => {
    if (job === undefined) return 0;
    switch (type) {
      case 'processed':
        return Object.keys(job.processed ?? {}).length;
      case 'unprocessed':
        return job.deps?.length ?? 0;
      case 'ignored':
        return Object.keys(job.ignored ?? {}).length;
      case 'failed':
        return Object.keys(job.unsuccessful ?? {}).length;
      default:
        return 0;
    }
  });
}

/** Job.getDependencies: everything when no kind is asked for, else a page of each kind asked for. */
export function pages(job: JobRecord | undefined, opts: DependenciesOpts): DependencyPages {
  const processed = Object.entries(job?.processed ?? {});
  const unprocessed = [...(job?.deps ?? [])];
  const ignored = Object.entries(job?.ignored ?? {});
  const failed = Object.entries(job?.unsuccessful ?? {}).sort((a, b) => a[1] - b[1]).map(([key]) => key);
  const asked = [opts.processed, opts.unprocessed, opts.ignored, opts.failed].some((kind) => kind !== undefined);
  if (!asked) {
    return { processed: parsedValues(processed), unprocessed, ignored: Object.fromEntries(ignored), failed };
  }
  const result: DependencyPages = {};
  if (opts.processed !== undefined) {
    const [page, next] = slice(processed, opts.processed);
    result.processed = parsedValues(page);
    result.nextProcessedCursor = next;
  }
  if (opts.unprocessed !== undefined) {
    const [page, next] = slice(unprocessed, opts.unprocessed);
    result.unprocessed = page;
    result.nextUnprocessedCursor = next;
  }
  if (opts.ignored !== undefined) {
    const [page, next] = slice(ignored, opts.ignored);
    result.ignored = Object.fromEntries(page);
    result.nextIgnoredCursor = next;
  }
  if (opts.failed !== undefined) {
    const [page, next] = slice(failed, opts.failed);
    result.failed = page;
    result.nextFailedCursor = next;
  }
  return result;
}

/** A page from an offset cursor; the next cursor is 0 when nothing is left (as a finished SCAN). */
function slice<T>(items: readonly T[], opts: { cursor?: number; count?: number }): [T[], number] {
  const cursor = opts.cursor ?? PAGE_DEFAULT.cursor;
  const count = opts.count ?? PAGE_DEFAULT.count;
  const page = items.slice(cursor, cursor + count);
  return [page, cursor + count >= items.length ? 0 : cursor + count];
}

function parsedValues(entries: readonly [string, string][]): Record<string, unknown> {
  return Object.fromEntries(entries.map(([key, value]) => [key, parseOr(value)]));
}

function parseOr(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** Queue.getDependencies: `<queue>:<id>:dependencies` or `<queue>:<id>:processed`, `start`..`end` inclusive. */
export function paginate(
  universe: Universe,
  key: string,
  opts: { start: number; end: number; fetchJobs?: boolean },
): Page {
  const processed = key.endsWith(':processed');
  const parentKey = key.slice(0, key.lastIndexOf(':'));
  const parent = findJob(universe, parentKey)?.job;
  const entries: [string, string | undefined][] = processed
    ? Object.entries(parent?.processed ?? {})
    : (parent?.deps ?? []).map((child) => [child, undefined]);
  const end = opts.end < 0 ? entries.length - 1 : Math.min(opts.end, entries.length - 1);
  const page = entries.slice(Math.max(0, opts.start), end + 1);
  const items = page.map(([id, value]) => (value === undefined ? { id } : itemWithValue(id, value)));
  const result: Page = { cursor: '0', items, total: entries.length };
  if (opts.fetchJobs === true) {
    result.jobs = page.flatMap(([id]) => {
      const child = findJob(universe, id);
      return child === undefined ? [] : [toJobJson(child.job)];
    });
  }
  return result;
}

function itemWithValue(id: string, value: string): { id: string; v?: unknown; err?: string } {
  try {
    return { id, v: JSON.parse(value) as unknown };
  } catch (error) {
    return { id, err: (error as Error).message };
  }
}
