/**
 * One job: show @seglog/prometheus end to end. Opens a log in a temp dir, keeps a few appenders
 * busy, and serves GET /metrics on 127.0.0.1 until Ctrl-C or `--seconds N`.
 *
 *   pnpm --filter @seglog/prometheus example -- --seconds 30     (PORT=9464 by default)
 *   curl -s 127.0.0.1:9464/metrics | grep seglog_
 *
 * serveMetrics is exported so the tests scrape the very server shown here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Registry } from 'prom-client';
import { openLog } from '@seglog/store';
import type { Log } from '@seglog/store';
import { registerLogMetrics } from '@seglog/prometheus';

export interface MetricsServer {
  /** Where to scrape, e.g. http://127.0.0.1:9464/metrics. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `registry` at GET /metrics on loopback; port 0 picks a free port. */
export async function serveMetrics(registry: Registry, port: number): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (body) => response.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** `count` appenders, each appending one small record after another until stopped. */
function startAppenders(log: Log, count: number): { stop(): Promise<void> } {
  let running = true;
  const payload = new TextEncoder().encode('an example record');
  const loops = Array.from({ length: count }, async () => {
    while (running) await log.append(payload);
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Resolves on SIGINT, or after `seconds` if given. */
function untilStopped(seconds: number | null): Promise<void> {
  return new Promise((resolve) => {
    const timer = seconds === null ? undefined : setTimeout(done, seconds * 1000);
    process.once('SIGINT', done);
    function done(): void {
      clearTimeout(timer);
      process.off('SIGINT', done);
      resolve();
    }
  });
}

function secondsArgument(argv: readonly string[]): number | null {
  const at = argv.indexOf('--seconds');
  if (at === -1) return null;
  const seconds = Number(argv[at + 1]);
  if (!(seconds > 0)) throw new TypeError('--seconds needs a positive number');
  return seconds;
}

async function main(): Promise<void> {
  const seconds = secondsArgument(process.argv.slice(2));
  const dir = await mkdtemp(join(tmpdir(), 'seglog-metrics-'));
  const log = await openLog({ dir });
  const registry = new Registry();
  const metrics = registerLogMetrics(log, { registry, labels: { log: 'example' } });
  const appenders = startAppenders(log, 8);
  const server = await serveMetrics(registry, Number(process.env['PORT'] ?? 9464));
  console.log(`scrape ${server.url} (Ctrl-C to stop)`);
  await untilStopped(seconds);
  await server.close();
  await appenders.stop();
  metrics.unregister();
  await log.close();
  await rm(dir, { recursive: true, force: true });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
