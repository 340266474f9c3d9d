/**
 * One job: the faults a test arms on a SimFileIO: "fail the next N matching calls with EIO or
 * ENOSPC", a full disk (`spaceBytes`), slow syncs (`datasyncDelayMs`) and calls that complete out
 * of issue order (`completionJitterTurns`).
 *
 * Rules are matched in the order they were armed; a call consumes one failure from the first
 * rule that matches its operation and (if the rule names one) its path. A rule without `path`
 * matches every path.
 */
import { normalizePath } from './sim-tree.js';

export type FaultOp = 'writev' | 'datasync' | 'sync' | 'syncDir' | 'open' | 'read' | 'rename' | 'truncate' | 'unlink';
export type FaultCode = 'EIO' | 'ENOSPC';

const faultOps: readonly FaultOp[] = ['writev', 'datasync', 'sync', 'syncDir', 'open', 'read', 'rename', 'truncate', 'unlink'];

export interface FailNextOptions {
  readonly code: FaultCode;
  /** Only calls on this path (exact, after normalisation) or matching this pattern fail. */
  readonly path?: string | RegExp;
  /** How many matching calls fail; default 1. */
  readonly count?: number;
}

interface FaultRule {
  readonly op: FaultOp;
  readonly code: FaultCode;
  readonly path: string | RegExp | undefined;
  remaining: number;
}

export interface SimFaultSettings {
  /** Every datasync and sync waits this long (setTimeout) before completing; 0 = next turn. */
  readonly datasyncDelayMs?: number;
  /** Writes that would grow the files' total size past this fail with ENOSPC. Default: unlimited. */
  readonly spaceBytes?: number;
  /**
   * Every call completes after 0 to this many extra event-loop turns, drawn from the PRNG, so calls
   * in flight together complete in any order (two writes, a write and a flush). Default 0: in order.
   */
  readonly completionJitterTurns?: number;
}

function matchesPath(pattern: string | RegExp | undefined, paths: readonly string[]): boolean {
  if (pattern === undefined) return true;
  return paths.some((path) => (typeof pattern === 'string' ? normalizePath(path) === pattern : pattern.test(path)));
}

export class SimFaults {
  /** Delay of every datasync and sync, in milliseconds: a slow disk. */
  datasyncDelayMs: number;
  /** Cap on the total size of all files; writes past it persist what fits and fail ENOSPC. */
  spaceBytes: number;
  /** Most extra turns a call waits before completing: calls in flight together finish in any order. */
  completionJitterTurns: number;
  #rules: FaultRule[] = [];

  constructor(settings: SimFaultSettings = {}) {
    this.datasyncDelayMs = settings.datasyncDelayMs ?? 0;
    this.spaceBytes = settings.spaceBytes ?? Number.POSITIVE_INFINITY;
    this.completionJitterTurns = settings.completionJitterTurns ?? 0;
  }

  /** Makes the next `count` calls of `op` (on `path`, if given) reject with `code`. */
  failNext(op: FaultOp, options: FailNextOptions): void {
    if (!faultOps.includes(op)) throw new TypeError(`failNext: unknown operation ${String(op)}`);
    if (options.code !== 'EIO' && options.code !== 'ENOSPC') throw new TypeError(`failNext: code must be EIO or ENOSPC`);
    const count = options.count ?? 1;
    if (!Number.isSafeInteger(count) || count < 1) throw new TypeError(`failNext: count must be a positive integer`);
    const path = typeof options.path === 'string' ? normalizePath(options.path) : options.path;
    this.#rules.push({ op, code: options.code, path, remaining: count });
  }

  /** Failures armed and not yet consumed. */
  get pendingCount(): number {
    return this.#rules.reduce((sum, rule) => sum + rule.remaining, 0);
  }

  /** Disarms every rule; settings (delay, space) stay. */
  clear(): void {
    this.#rules = [];
  }

  /** Called by the simulator once per call: the code to fail it with, consuming one failure. */
  consume(op: FaultOp, paths: readonly string[]): FaultCode | undefined {
    const index = this.#rules.findIndex((rule) => rule.op === op && matchesPath(rule.path, paths));
    if (index < 0) return undefined;
    const rule = this.#rules[index]!;
    rule.remaining--;
    if (rule.remaining === 0) this.#rules.splice(index, 1);
    return rule.code;
  }
}
