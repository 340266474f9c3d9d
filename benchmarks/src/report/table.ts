/**
 * One job: render rows as a Markdown table whose columns line up in a terminal too.
 */

export type Align = 'left' | 'right';

export interface Column {
  readonly title: string;
  readonly align: Align;
}

/** Renders a GitHub-flavoured Markdown table; cells are padded so the raw text reads as a grid. */
export function renderMarkdownTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  for (const row of rows) {
    if (row.length !== columns.length) {
      throw new TypeError(`table row has ${row.length} cells, expected ${columns.length}`);
    }
  }
  const widths = columns.map((column, i) => columnWidth(column, rows, i));
  const lines = [
    renderRow(columns.map((c) => c.title), columns, widths),
    renderRule(columns, widths),
    ...rows.map((row) => renderRow(row, columns, widths)),
  ];
  return lines.join('\n');
}

function columnWidth(column: Column, rows: readonly (readonly string[])[], index: number): number {
  // Three is the narrowest rule Markdown accepts (`---`, or `--:` when right-aligned).
  let width = Math.max(3, column.title.length);
  for (const row of rows) width = Math.max(width, (row[index] ?? '').length);
  return width;
}

function renderRow(cells: readonly string[], columns: readonly Column[], widths: readonly number[]): string {
  const padded = cells.map((cell, i) => {
    const width = widths[i] ?? 0;
    return columns[i]?.align === 'right' ? cell.padStart(width) : cell.padEnd(width);
  });
  return `| ${padded.join(' | ')} |`;
}

function renderRule(columns: readonly Column[], widths: readonly number[]): string {
  const rules = columns.map((column, i) => {
    const width = widths[i] ?? 3;
    return column.align === 'right' ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width);
  });
  return `| ${rules.join(' | ')} |`;
}

/** Formats a count with thousands separators and no decimals (e.g. 12,345). */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Formats a latency in microseconds: one decimal under 100 µs, whole numbers above. */
export function formatMicros(value: number): string {
  return value < 100 ? value.toFixed(1) : formatCount(value);
}
