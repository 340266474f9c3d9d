/**
 * One job: measure issue 9 item 4. Opens a log with the default options in a temporary directory
 * on the real disk, issues N un-awaited appends of S bytes in one go (a caller that never awaits),
 * samples RSS every 5 ms until all settle, and prints the peak growth over the RSS before the
 * appends, beside the bound the issue sets (maxInFlightBytes + 64 MiB), how many were refused with
 * SEGLOG_OVERLOADED, and the log's own counters.
 *
 *   node --expose-gc --import=tsx --conditions=@seglog/source packages/store/scripts/unawaited-rss.ts \
 *     [--appends 20000] [--bytes 16384] [--max-queued-bytes N]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isSeglogError, limits } from '@seglog/types';
import { openLog } from '../src/index.js';

const MiB = 1024 * 1024;
const { values } = parseArgs({ options: { appends: { type: 'string' }, bytes: { type: 'string' }, 'max-queued-bytes': { type: 'string' } } });
const appends = Number(values.appends ?? 20_000);
const payloadBytes = Number(values.bytes ?? 16 * 1024);
const maxQueuedBytes = values['max-queued-bytes'] === undefined ? undefined : Number(values['max-queued-bytes']);

const root = mkdtempSync(join(tmpdir(), 'seglog-rss-'));
try {
  const log = await openLog({ dir: join(root, 'log'), ...(maxQueuedBytes === undefined ? {} : { maxQueuedBytes }) });
  const payload = new Uint8Array(payloadBytes).fill(7);
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: appends }, () => log.append(payload)));
  const elapsedMs = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const refused = results.filter((result) => result.status === 'rejected');
  const overloaded = refused.filter((result) => isSeglogError(result.reason, 'SEGLOG_OVERLOADED')).length;
  const metrics = log.metrics();
  await log.close();
  const inFlightCap = limits.inFlightBytesMaxDefault;
  const growth = peak - baseline;
  console.log(JSON.stringify({
    appends,
    payloadBytes,
    offeredMiB: +((appends * payloadBytes) / MiB).toFixed(1),
    maxQueuedBytes: maxQueuedBytes ?? limits.queuedBytesMaxDefault,
    baselineRssMiB: +(baseline / MiB).toFixed(1),
    peakRssMiB: +(peak / MiB).toFixed(1),
    rssGrowthMiB: +(growth / MiB).toFixed(1),
    boundMiB: (inFlightCap + 64 * MiB) / MiB,
    withinBound: growth < inFlightCap + 64 * MiB,
    acknowledged: results.length - refused.length,
    overloaded,
    otherErrors: refused.length - overloaded,
    overloadRejectionsMetric: metrics.overloadRejections,
    elapsedMs: Math.round(elapsedMs),
  }, null, 2));
} finally {
  rmSync(root, { recursive: true, force: true });
}
