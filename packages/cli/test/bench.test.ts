/**
 * `seglog bench` and `seglog bench --probe` as a child process, with short cells: the figures are
 * not judged (no timing assertions), only that every cell ran on a real temporary log, the verdict
 * and the exit code agree, and the temporary directories are gone after.
 */
import fs from 'node:fs/promises';
import test from 'ava';
import { hasAnsi, removeTempDirs, seglog, tempDir } from './helpers.js';

test.after.always(removeTempDirs);

interface Cell {
  engine: string;
  recordBytes: number;
  concurrency: number;
  appends: number;
  appendsPerSecond: number;
}

test('bench --json runs every quickstart cell on temporary logs under --dir, and removes them', async (t) => {
  const dir = await tempDir('bench');
  const result = await seglog(['bench', '--dir', dir, '--seconds', '0.1', '--warmup-ms', '0', '--json']);
  t.is(result.code, 0, result.stderr);
  interface Report {
    version: number;
    tool: string;
    cells: Cell[];
    ratios: unknown[];
    table: string;
  }
  const report = JSON.parse(result.stdout) as Report;
  t.is(report.version, 1);
  t.is(report.tool, 'seglog bench');
  t.is(report.cells.length, 12);
  t.deepEqual([...new Set(report.cells.map((cell) => cell.engine))].sort(), ['plain-fdatasync', 'seglog']);
  t.deepEqual([...new Set(report.cells.map((cell) => cell.concurrency))].sort((a, b) => a - b), [1, 16, 256]);
  for (const cell of report.cells) t.true(cell.appends > 0 && cell.appendsPerSecond > 0, `${cell.engine} ${cell.recordBytes} x ${cell.concurrency}`);
  t.is(report.ratios.length, 6);
  t.regex(report.table, /seglog\/plain/);
  t.regex(result.stderr, /seglog +128 B x +1: [\d,]+ appends\/s/, 'progress per cell on stderr');
  t.deepEqual(await fs.readdir(dir), [], 'every temporary log was removed');
});

test('bench --probe: PASS or FAIL against the threshold, and the exit code says which', async (t) => {
  const dir = await tempDir('probe');
  const pass = await seglog(['bench', '--probe', '--dir', dir, '--seconds', '0.2', '--threshold-us', '100000000', '--json']);
  t.is(pass.code, 0, pass.stderr);
  const report = JSON.parse(pass.stdout) as {
    verdict: string;
    pass: boolean;
    thresholdP99Micros: number;
    adaptiveWindowMicros: number;
    flush: { writes: number; latencyMicros: { p50: number; p99: number } };
  };
  t.is(report.verdict, 'PASS');
  t.true(report.pass);
  t.is(report.thresholdP99Micros, 100_000_000);
  t.true(report.flush.writes > 0);
  t.true(report.flush.latencyMicros.p99 >= report.flush.latencyMicros.p50);
  t.true(report.adaptiveWindowMicros >= 0 && report.adaptiveWindowMicros <= report.flush.latencyMicros.p50);
  // No flush takes 0 µs: a threshold of 0 always fails, which is a warning (2), not an error.
  const fail = await seglog(['bench', '--probe', '--dir', dir, '--seconds', '0.2', '--threshold-us', '0']);
  t.is(fail.code, 2, fail.stderr);
  t.regex(fail.stdout, /^FAIL: flush p99 \d+ µs > 0 µs$/m);
  t.regex(fail.stdout, /adaptive commit window under load: \d+ µs/);
  t.false(hasAnsi(fail.stdout + fail.stderr));
  t.deepEqual(await fs.readdir(dir), [], 'the probe file was removed');
});

test('bench: flags that do not go together are usage errors (16); a missing --dir is 8', async (t) => {
  t.is((await seglog(['bench', '--threshold-us', '5'])).code, 16);
  t.is((await seglog(['bench', '--probe', '--quick'])).code, 16);
  t.is((await seglog(['bench', '--seconds', '0'])).code, 16);
  t.is((await seglog(['bench', '--seconds', 'fast'])).code, 16);
  const missing = await seglog(['bench', '--probe', '--dir', '/nonexistent/seglog-bench']);
  t.is(missing.code, 8);
  t.regex(missing.stderr, /does not exist/);
});

test('SIGINT during bench stops it after the cell in progress: exit 32', async (t) => {
  const dir = await tempDir('bench-sigint');
  const result = await seglog(['bench', '--dir', dir, '--seconds', '0.3', '--warmup-ms', '0'], {
    onStderr: { waitFor: 'appends/s', then: (child) => child.kill('SIGINT') },
  });
  t.is(result.code, 32, result.stderr);
  t.true(result.stderr.split('appends/s').length - 1 < 12, 'it stopped before the last cell');
  t.is(result.stdout, '', 'no table for a run that did not finish');
  t.deepEqual(await fs.readdir(dir), []);
});
