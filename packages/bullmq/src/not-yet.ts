/**
 * One job: the coded refusal for the parts of BullMQ's interface this backend does not implement
 * yet (flows, job schedulers, deduplication). Failing loudly, naming the method, is the contract:
 * never a silent no-op that would lose a job or a schedule.
 */
import { ErrorCodes, SeglogError } from '@seglog/types';

export function notYet(method: string): SeglogError {
  return new SeglogError(
    ErrorCodes.NOT_IMPLEMENTED,
    `the seglog BullMQ backend does not implement ${method} yet (see docs/bullmq.md, "Not yet")`,
  );
}
