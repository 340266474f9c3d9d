/**
 * The example's HTTP server (examples/serve-metrics.ts) on a free loopback port: GET /metrics
 * returns the registry's text with its content type, anything else is a 404.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { Registry } from 'prom-client';
import { openLog } from '@seglog/store';
import { registerLogMetrics } from '../src/index.js';
import { serveMetrics } from '../examples/serve-metrics.js';
import { parseExposition, valueOf } from './helpers/exposition.js';

test('GET /metrics on loopback serves the log metrics with the registry content type', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seglog-prometheus-http-'));
  const log = await openLog({ dir });
  const registry = new Registry();
  const registration = registerLogMetrics(log, { registry, labels: { log: 'http' } });
  const server = await serveMetrics(registry, 0);
  t.teardown(async () => {
    await server.close();
    registration.unregister();
    await log.close();
    await rm(dir, { recursive: true, force: true });
  });
  await Promise.all(Array.from({ length: 12 }, () => log.append(new Uint8Array(64))));

  t.regex(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const response = await fetch(server.url);
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), registry.contentType);
  const samples = parseExposition(await response.text());
  t.is(valueOf(samples, 'seglog_appends_total', { log: 'http' }), 12);
  t.is(valueOf(samples, 'seglog_batch_records_sum', { log: 'http' }), 12);

  const elsewhere = await fetch(server.url.replace('/metrics', '/other'));
  t.is(elsewhere.status, 404);
  await elsewhere.body?.cancel();
});
