/**
 * One job: write a run's results as JSON under <repo>/bench-results, named by kind and time.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** benchmarks/ itself: this file is src/report/results.ts or dist/report/results.js. */
const benchmarksDir = fileURLToPath(new URL('../..', import.meta.url));

/** Where results go: bench-results/ at the repo root (git-ignored). */
export const resultsDir = resolve(benchmarksDir, '../bench-results');

/** A file-name-safe UTC timestamp such as 2025-11-26T05-45-00Z, sorting in time order. */
export function fileTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '-');
}

/** Writes `results` to bench-results/<kind>-<timestamp>.json and returns the path. */
export async function writeResults(kind: string, date: Date, results: unknown): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = join(resultsDir, `${kind}-${fileTimestamp(date)}.json`);
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
  return path;
}
