/**
 * One job: draw the commit-window comparison from a window-shapes JSON file as SVG charts
 * (vega-lite compiled to vega, rendered headless): p99 latency and fdatasyncs/s for each window,
 * one panel per load shape, adaptive highlighted.
 *
 *   node benchmarks/dist/window-chart.js results.json docs/benchmarks
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

interface Row {
  readonly shape: string;
  readonly window: string;
  readonly p99Micros: number;
  readonly fdatasyncsPerSecond: number;
}

function spec(rows: readonly Row[], field: 'p99Micros' | 'fdatasyncsPerSecond', title: string, yTitle: string): TopLevelSpec {
  const windows = ['adaptive', 'fixed 0', 'fixed 50', 'fixed 200', 'fixed 1000', 'fixed 5000'];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: rows.map((row) => ({ shape: row.shape, window: row.window, value: row[field] })) },
    facet: { column: { field: 'shape', type: 'nominal', title: null } },
    spec: {
      width: 110,
      height: 180,
      mark: 'bar',
      encoding: {
        x: { field: 'window', type: 'nominal', sort: windows, title: null, axis: { labelAngle: -60 } },
        y: { field: 'value', type: 'quantitative', title: yTitle },
        color: { condition: { test: "datum.window === 'adaptive'", value: '#d62728' }, value: '#9e9e9e' },
      },
    },
    resolve: { scale: { y: 'independent' } },
    config: { background: 'white' },
  };
}

async function render(topLevel: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(topLevel).spec), { renderer: 'none' });
  return view.toSVG();
}

async function main(): Promise<void> {
  const [input, outDir] = process.argv.slice(2).filter((arg) => arg !== '--');
  if (input === undefined || outDir === undefined) throw new TypeError('usage: window-chart.js <window-shapes.json> <out dir>');
  const { results } = JSON.parse(await readFile(input, 'utf8')) as { results: Row[] };
  const charts: Array<[string, TopLevelSpec]> = [
    ['window-p99.svg', spec(results, 'p99Micros', 'p99 append latency by commit window (median of repetitions)', 'p99 µs')],
    ['window-fdatasyncs.svg', spec(results, 'fdatasyncsPerSecond', 'fdatasyncs per second by commit window', 'fdatasyncs/s')],
  ];
  for (const [name, topLevel] of charts) {
    await writeFile(join(outDir, name), await render(topLevel));
    console.log(join(outDir, name));
  }
}

await main();
