/**
 * One job: BullMQ's own error for a refused move (`finishedErrors` from the bullmq package this
 * backend depends on), so callers see the exact messages and numeric `code`s the Redis backend
 * gives (`Missing lock for job 1. moveToFinished`, ...). bullmq does not export it from its index,
 * so it is loaded from its CommonJS build by path, typed from its declaration.
 */
import { createRequire } from 'node:module';
import type { finishedErrors as FinishedErrors } from 'bullmq/dist/esm/classes/finished-errors.js';

const require = createRequire(import.meta.url);
const loaded = require('bullmq/dist/cjs/classes/finished-errors.js') as { finishedErrors: typeof FinishedErrors };

export const finishedErrors: typeof FinishedErrors = loaded.finishedErrors;
