/**
 * The metric list: Prometheus naming conventions, and docs/observability.md ("Prometheus")
 * listing exactly the metrics that are registered, with the same types.
 */
import { readFile } from 'node:fs/promises';
import test from 'ava';
import { Registry } from 'prom-client';
import { registerLogMetrics } from '../src/index.js';
import { FakeLog } from './helpers/fake-log.js';
import { familiesOf } from './helpers/exposition.js';

async function registeredFamilies(): Promise<Map<string, string>> {
  const registry = new Registry();
  registerLogMetrics(new FakeLog('/fake/table'), { registry });
  return familiesOf(await registry.metrics());
}

/** metric name -> type, from the first table of the "Prometheus" section. */
async function documentedFamilies(): Promise<Map<string, string>> {
  const text = await readFile(new URL('../../../docs/observability.md', import.meta.url), 'utf8');
  const start = text.indexOf('\n## Prometheus\n');
  // Up to the next section: the queue's metrics have their own table and test (queue.test.ts).
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end === -1 ? undefined : end);
  const documented = new Map<string, string>();
  for (const match of section.matchAll(/^\| `(seglog_[a-z_]+)(?:\{[a-z]+\})?` \| (counter|gauge|histogram) \|/gm)) {
    documented.set(match[1] as string, match[2] as string);
  }
  return documented;
}

test('names follow Prometheus conventions: _total on counters only, base units, every one with help', async (t) => {
  const registry = new Registry();
  registerLogMetrics(new FakeLog('/fake/conventions'), { registry });
  const text = await registry.metrics();
  for (const [name, type] of familiesOf(text)) {
    t.is(name.endsWith('_total'), type === 'counter', name);
    t.notRegex(name, /_(micros|millis|ms|us|kb|mb)(_|$)/, name);
    t.regex(text, new RegExp(`^# HELP ${name} \\S.{10,}$`, 'm'), name);
  }
});

test('docs/observability.md lists exactly the registered metrics, with their types', async (t) => {
  const [registered, documented] = await Promise.all([registeredFamilies(), documentedFamilies()]);
  t.true(registered.size >= 30);
  t.deepEqual([...documented.entries()].sort(), [...registered.entries()].sort());
});
