/**
 * One job: assert that an operation fails with exactly one coded SeglogError, and that the error
 * names what it is about (`file`, and a `positionBytes` for corruption), in any test runner.
 */
import { isSeglogError } from '@seglog/types';
import type { ErrorCode } from '@seglog/types';
import type { ExecutionContextLike } from './fs-conformance.js';

export interface ExpectedErrorFields {
  /** The `file` the error must name. */
  readonly file?: string;
  /** The error must carry a numeric `positionBytes`. */
  readonly positioned?: boolean;
}

/** Awaits `operation`, which must reject with the SeglogError `code` (and `fields`); returns the error. */
export async function expectCode(
  t: ExecutionContextLike,
  operation: Promise<unknown>,
  code: ErrorCode,
  fields: ExpectedErrorFields = {},
): Promise<unknown> {
  let error: unknown = undefined;
  let rejected = false;
  try {
    await operation;
  } catch (caught) {
    error = caught;
    rejected = true;
  }
  t.true(rejected, `expected ${code}, but the operation succeeded`);
  t.true(isSeglogError(error, code), `expected ${code}, got ${String(error)}`);
  if (!isSeglogError(error)) return error;
  if (fields.file !== undefined) t.is(error.file, fields.file, error.message);
  if (fields.positioned === true) t.is(typeof error.positionBytes, 'number', error.message);
  return error;
}
