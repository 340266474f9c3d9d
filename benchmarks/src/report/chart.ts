/**
 * One job: turn a vega-lite chart into an SVG file, headless in Node (vega-lite compiles to a vega
 * spec, vega renders it without a browser), and write charts into a folder. Every benchmark that
 * draws (the suite, window-shapes) goes through here, so charts share one renderer and one look.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface ChartFile {
  /** The file name, such as `throughput-vs-concurrency.svg`. */
  readonly name: string;
  readonly title: string;
  readonly svg: string;
}

export const vegaLiteSchema = 'https://vega.github.io/schema/vega-lite/v6.json';

export async function renderChart(name: string, title: string, spec: TopLevelSpec): Promise<ChartFile> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return { name, title, svg: await view.toSVG() };
  } finally {
    view.finalize();
  }
}

/** Writes each chart as `<dir>/<name>`; returns the paths. */
export async function writeCharts(dir: string, charts: readonly ChartFile[]): Promise<string[]> {
  const paths: string[] = [];
  for (const chart of charts) {
    const path = join(dir, chart.name);
    await writeFile(path, chart.svg);
    paths.push(path);
  }
  return paths;
}
