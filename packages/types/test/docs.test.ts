/**
 * The docs name what the code has: every error code has its row in docs/errors.md, and every key of
 * `limits`, `readLimits` and `shipLimits` has its row in docs/limits.md with the code's value, with
 * no row for a code or key the code does not have. A code or limit added without its docs fails here.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { ErrorCodes, limits, readLimits, shipLimits } from '../src/index.js';

async function doc(name: string): Promise<string> {
  return readFile(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');
}

/** The first two cells of each table row whose first cell is one backticked name. */
function tableRows(text: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of text.matchAll(/^\| `([A-Za-z_]+)` \| ([^|]*) \|/gm)) rows.set(match[1]!, match[2]!.trim());
  return rows;
}

test('docs/errors.md has one row for every error code, and none for a code that does not exist', async (t) => {
  const rows = tableRows(await doc('errors.md'));
  const codes: string[] = Object.values(ErrorCodes);
  t.deepEqual(codes.filter((code) => !rows.has(code)), [], 'codes without a row');
  t.deepEqual([...rows.keys()].filter((code) => !codes.includes(code)), [], 'rows without a code');
});

test('docs/limits.md has one row for every limit key, with the value the code uses', async (t) => {
  const rows = tableRows(await doc('limits.md'));
  const groups = { limits, readLimits, shipLimits } as const;
  const keys = new Set<string>();
  for (const [group, values] of Object.entries(groups)) {
    for (const [key, value] of Object.entries(values)) {
      t.false(keys.has(key), `${key} is named in two groups, so one row cannot document it`);
      keys.add(key);
      const cell = rows.get(key);
      if (cell === undefined) {
        t.fail(`${group}.${key} has no row in docs/limits.md`);
        continue;
      }
      // A backticked JS number literal (Number() reads 0o600 too).
      t.is(Number(/^`([^`]+)`$/.exec(cell)?.[1]), value, `${group}.${key}: docs say ${cell}`);
    }
  }
  t.deepEqual([...rows.keys()].filter((key) => !keys.has(key)), [], 'rows for keys the code does not have');
});

/** The property names of `interface <name>` in src/<file> (one `readonly name?:` a line). */
async function interfaceKeys(file: string, name: string): Promise<string[]> {
  const source = await readFile(new URL(`../src/${file}`, import.meta.url), 'utf8');
  const body = new RegExp(`^export interface ${name} \\{\\n([\\s\\S]*?)^\\}`, 'm').exec(source)?.[1];
  if (body === undefined) throw new Error(`interface ${name} not found in ${file}`);
  return [...body.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((match) => match[1]!);
}

/** The option rows of the table under the docs/tuning.md heading that starts with `heading`. */
function optionRows(doc: string, heading: string): Set<string> {
  const text = `\n${doc}`;
  const start = text.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`docs/tuning.md has no heading ${heading}`);
  const next = text.indexOf('\n## ', start + 1);
  return new Set(tableRows(text.slice(start, next < 0 ? undefined : next)).keys());
}

test('docs/tuning.md has a row for every option of openLog and of openReader, and none the types lack', async (t) => {
  const tuning = await doc('tuning.md');
  const tables = [
    { options: 'LogOptions', heading: '# Options' },
    { options: 'ReaderOptions', heading: '## Reader options' },
  ];
  for (const { options, heading } of tables) {
    const keys = await interfaceKeys('options.ts', options);
    const rows = optionRows(tuning, heading);
    t.true(keys.length > 3, `${options} read from options.ts`);
    t.deepEqual(keys.filter((key) => !rows.has(key)), [], `${options} keys without a row under "${heading}"`);
    t.deepEqual([...rows].filter((row) => !keys.includes(row)), [], `rows under "${heading}" that ${options} lacks`);
  }
});

test('docs/observability.md has a row for every field of LogMetrics, and none LogMetrics lacks', async (t) => {
  const text = await doc('observability.md');
  const rows = new Set(tableRows(text.slice(0, text.indexOf('\n## '))).keys());
  const keys = await interfaceKeys('metrics.ts', 'LogMetrics');
  t.true(keys.length > 10, 'LogMetrics read from metrics.ts');
  t.deepEqual(keys.filter((key) => !rows.has(key)), [], 'fields without a row');
  t.deepEqual([...rows].filter((row) => !keys.includes(row)), [], 'rows for fields LogMetrics lacks');
});
