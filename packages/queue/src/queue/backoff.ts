/**
 * One job: the redelivery delay after a lapsed lease or a nak without its own delay (one policy
 * for both, unlike JetStream whose BackOff list ignores naks).
 */
import { SeglogError } from '@seglog/types';

export type BackoffPolicy =
  /** The same delay every time. */
  | { readonly type: 'fixed'; readonly delayMs: number }
  /** delayMs * 2^(attempt-1), capped at maxDelayMs (default 60000), with +-jitter (0..1, default 0.2). */
  | { readonly type: 'exponential'; readonly delayMs: number; readonly maxDelayMs?: number; readonly jitter?: number }
  /** The n-th delay for the n-th attempt, the last one repeated. */
  | { readonly type: 'list'; readonly delaysMs: readonly number[] };

export const BACKOFF_DEFAULT: BackoffPolicy = { type: 'exponential', delayMs: 1000, maxDelayMs: 60_000, jitter: 0.2 };

/** The delay after delivery `attempt` (1-based) failed. `random` in [0, 1). */
export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  switch (policy.type) {
    case 'fixed':
      return policy.delayMs;
    case 'list':
      return policy.delaysMs[Math.min(attempt, policy.delaysMs.length) - 1]!;
    case 'exponential': {
      const base = Math.min(policy.delayMs * 2 ** Math.min(attempt - 1, 40), policy.maxDelayMs ?? 60_000);
      const jitter = policy.jitter ?? 0.2;
      return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
    }
  }
}

export function checkBackoff(policy: BackoffPolicy | undefined): BackoffPolicy {
  if (policy === undefined) return BACKOFF_DEFAULT;
  const bad = (why: string): SeglogError => SeglogError.invalidOption('backoff', why);
  const delay = (value: unknown): boolean => Number.isSafeInteger(value) && (value as number) >= 0;
  if (typeof policy !== 'object' || policy === null) throw bad('must be an object');
  if (policy.type === 'fixed') {
    if (!delay(policy.delayMs)) throw bad('delayMs must be an integer >= 0');
  } else if (policy.type === 'exponential') {
    if (!delay(policy.delayMs)) throw bad('delayMs must be an integer >= 0');
    if (policy.maxDelayMs !== undefined && !delay(policy.maxDelayMs)) throw bad('maxDelayMs must be an integer >= 0');
    if (policy.jitter !== undefined && !(policy.jitter >= 0 && policy.jitter <= 1)) throw bad('jitter must be from 0 to 1');
  } else if (policy.type === 'list') {
    if (!Array.isArray(policy.delaysMs) || policy.delaysMs.length === 0 || !policy.delaysMs.every(delay)) throw bad('delaysMs must be a non-empty list of integers >= 0');
  } else {
    throw bad(`type must be 'fixed', 'exponential' or 'list'`);
  }
  return policy;
}
