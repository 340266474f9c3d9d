// Backend module for BullMQ's conformance suite (shared/conformance/bullmq/run.sh): every Queue,
// Worker and QueueEvents of a test file is built by one seglog BackendFactory over a fresh
// directory, so the whole file shares one log and one group commit, as an application would.
// `opts.connection` is the harness's inert placeholder and is ignored. Run it with
// `pnpm --filter @seglog/bullmq conformance` (after `pnpm build`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seglogBackend } from '../dist/index.js';

// One folder for the whole run (made in the main vitest process, inherited by the test workers
// through the environment), removed at the end so runs leave no logs in the temp folder. A folder
// given by the caller is kept.
let runDir = null;

export function globalSetup() {
  if (process.env.SEGLOG_BULLMQ_CONFORMANCE_DIR !== undefined) return;
  runDir = mkdtempSync(join(tmpdir(), 'seglog-bullmq-conformance-'));
  process.env.SEGLOG_BULLMQ_CONFORMANCE_DIR = runDir;
}

export function globalTeardown() {
  if (runDir !== null) rmSync(runDir, { recursive: true, force: true });
}

export function createBackendFactory() {
  const base = process.env.SEGLOG_BULLMQ_CONFORMANCE_DIR ?? tmpdir();
  const dir = mkdtempSync(join(base, 'seglog-bullmq-'));
  return seglogBackend({ dir });
}
