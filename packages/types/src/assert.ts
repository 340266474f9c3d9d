/**
 * One job: assertions for seglog's own bugs. Cheap checks stay on in production: they cost
 * nothing next to an fdatasync, and they turn silent corruption into a loud stop.
 */
import { ErrorCodes, SeglogError } from './errors.js';

export function assert(condition: unknown, why: string): asserts condition {
  if (!condition) throw new SeglogError(ErrorCodes.ASSERTION, `assertion failed: ${why}`);
}
