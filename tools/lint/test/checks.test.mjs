// The checks check themselves: each runs on a small fixture tree with known violations, and must
// report exactly those. (A check that silently passes everything would look just like a clean tree.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const tools = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(tools, 'node_modules', '.bin', name);

/** Writes `files` (path -> text) under a fresh temporary folder and returns it. */
function tree(files) {
  const root = mkdtempSync(join(tmpdir(), 'seglog-lint-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('check:layers imports: reports each kind of violation, and only those', (t) => {
  const root = tree({
    'packages/types/src/index.ts': 'export const t = 1;\n',
    'packages/types/src/up.ts': "import { s } from '../../store/src/index.js';\nexport const u = s;\n",
    'packages/format/src/index.ts': "import { t } from '../../types/src/index.js';\nexport const f = t;\n",
    'packages/format/src/bad-fs.ts': "import { readFileSync } from 'node:fs';\nexport const g = readFileSync;\n",
    'packages/io/src/index.ts':
      "import fs from 'node:fs/promises';\nimport { k } from '../../testkit/src/index.js';\nexport const i = [fs, k];\n",
    'packages/io/test/io.test.ts': "import { k } from '../../testkit/src/index.js';\nexport const it = k;\n",
    'packages/testkit/src/index.ts': 'export const k = 1;\n',
    'packages/reader/src/index.ts': 'export const r = 1;\n',
    'packages/store/src/index.ts': "import { r } from '../../reader/src/index.js';\nexport const s = r;\n",
    'packages/store/src/deep.ts': "import { g } from '../../format/src/bad-fs.js';\nexport const d = g;\n",
    'packages/store/src/c1.ts': "import { c2 } from './c2.js';\nexport const c1 = () => c2;\n",
    'packages/store/src/c2.ts': "import { c1 } from './c1.js';\nexport const c2 = () => c1;\n",
    'packages/store/test/store.test.ts': "import { f } from '../../format/src/index.js';\nexport const st = f;\n",
    // layers.mjs sourceMayAlsoUse: the CLI may use the benchmarks; nothing else may.
    'benchmarks/src/index.ts': 'export const b = 1;\n',
    'packages/cli/src/index.ts': "import { b } from '../../../benchmarks/src/index.js';\nexport const c = b;\n",
    'packages/reader/src/bench.ts': "import { b } from '../../../benchmarks/src/index.js';\nexport const rb = b;\n",
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const run = spawnSync(bin('depcruise'),
    ['--config', join(tools, 'depcruise.config.mjs'), '--output-type', 'json', 'packages'],
    { cwd: root, encoding: 'utf8' });
  const violations = JSON.parse(run.stdout).summary.violations
    .map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)
    .sort();
  assert.deepEqual(violations, [
    'benchmarks only where layers.mjs allows: packages/reader/src/bench.ts -> benchmarks/src/index.ts',
    'layers: packages/io/src: packages/io/src/index.ts -> packages/testkit/src/index.ts',
    'layers: packages/store/src: packages/store/src/index.ts -> packages/reader/src/index.ts',
    'layers: packages/types/src: packages/types/src/up.ts -> packages/store/src/index.ts',
    'no cycles in product code: packages/store/src/c1.ts -> packages/store/src/c2.ts',
    'node:fs only in packages/io: packages/format/src/bad-fs.ts -> fs',
    'through the front door: packages/store/src/deep.ts -> packages/format/src/bad-fs.ts',
  ]);
  // The err reporter CI uses fails the run on them.
  const err = spawnSync(bin('depcruise'), ['--config', join(tools, 'depcruise.config.mjs'), 'packages'],
    { cwd: root, encoding: 'utf8' });
  assert.equal(err.status, 7); // dependency-cruiser exits with the number of violations
});

test('check:layers manifests: wrong, upward, same-layer, unused and unlayered dependencies', (t) => {
  const manifest = (deps = {}, devDeps = {}) => JSON.stringify({ dependencies: deps, devDependencies: devDeps });
  const root = tree({
    'packages/types/package.json': manifest(),
    'packages/format/package.json': manifest({ '@seglog/types': 'workspace:*' }),
    'packages/format/src/index.ts': 'export const f = 1;\n',
    'packages/io/package.json': manifest({ '@seglog/types': 'workspace:*' }, { '@seglog/testkit': 'workspace:*' }),
    'packages/io/src/index.ts': "export * from '@seglog/types';\n",
    'packages/io/test/a.test.ts': "import '@seglog/testkit';\n",
    'packages/store/package.json': manifest({ '@seglog/testkit': 'workspace:*', '@seglog/io': 'workspace:*' }),
    'packages/store/src/index.ts': "import '@seglog/io';\nimport '@seglog/testkit';\n",
    // Allowed sideways (layers.mjs testsMayAlsoUse): the reader's tests use the store.
    'packages/reader/package.json': manifest({}, { '@seglog/store': 'workspace:*' }),
    'packages/reader/test/a.test.ts': "import '@seglog/store';\n",
    // Not allowed: same-layer packages' tests never use each other unless layers.mjs says so.
    'packages/testkit/package.json': manifest(),
    'packages/bufpool/package.json': manifest({}, { '@seglog/format': 'workspace:*' }),
    'packages/bufpool/test/a.test.ts': "import '@seglog/format';\n",
    'packages/types2/package.json': manifest(),
    // layers.mjs sourceMayAlsoUse: the CLI's src may depend on the benchmarks; the reader's may not.
    'packages/cli/package.json': manifest({ '@seglog/benchmarks': 'workspace:*' }),
    'packages/cli/src/bench.ts': "await import('@seglog/benchmarks');\n",
    'packages/queue/package.json': manifest({ '@seglog/benchmarks': 'workspace:*' }),
    'packages/queue/src/index.ts': "import '@seglog/benchmarks';\n",
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const run = spawnSync(process.execPath, [join(tools, 'check-manifests.mjs'), '--root', root], { encoding: 'utf8' });
  const problems = run.stderr.split('\n').filter((line) => line.includes('error manifest:')).map((line) => line.trim());
  assert.deepEqual(problems, [
    'error manifest: packages/bufpool/package.json: devDependency @seglog/format is not in a layer below bufpool ' +
      '(tests may use lower layers, test support and what tools/lint/layers.mjs allows sideways only)',
    'error manifest: packages/format/package.json: depends on @seglog/types, but src/ never imports it: ' +
      'drop it (or move it to devDependencies if only tests use it)',
    'error manifest: packages/queue/package.json: depends on @seglog/benchmarks, which is not in a layer below queue',
    'error manifest: packages/store/package.json: @seglog/testkit is test support: list it in devDependencies, ' +
      'not dependencies',
    'error manifest: packages/types2/package.json: packages/types2 has no layer; add it to tools/lint/layers.mjs',
  ]);
  assert.equal(run.status, 1);
});

test('lint:private-fields: rewrites what # can express, leaves the rest, and the result compiles', (t) => {
  const root = tree({
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true,
        types: [], skipLibCheck: true,
      },
      include: ['*.ts'],
    }),
    'a.ts': [
      'class Base { constructor(readonly id: number) {} }',
      'export class Counter extends Base {',
      '  private count = 0;',
      '  private static made = 0;',
      '  /** Made with a seed. */',
      '  constructor(private readonly seed: number, private step: number) {',
      '    super(seed);',
      '    Counter.made += 1;',
      '  }',
      '  private get doubled(): number { return this.count * 2; }',
      '  private set doubled(value: number) { this.count = value / 2; }',
      '  private bump(): void { this.count += this.step; this.doubled = this.doubled + this.seed; }',
      '  peek(other: Counter): number { this.bump(); return other.count; }',
      '  private exposed = 1;',
      '  private constructorLike(): number { return this.exposed; }',
      '  run(): number { return this.constructorLike(); }',
      '}',
      "export const peeked = (c: Counter) => c['exposed'];",
      'export class Holder {',
      '  constructor(private readonly value: string) {}',
      '  get(): string { return this.value; }',
      '}',
      '',
    ].join('\n'),
  });
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const out = execFileSync(process.execPath,
    [join(tools, 'private-fields.mjs'), '--project', join(root, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
  assert.match(out, /rewrote 8 private member\(s\) in 1 file\(s\); 1 left alone/);
  const text = readFileSync(join(root, 'a.ts'), 'utf8');
  for (const expected of [
    '  #count = 0;',
    '  static #made = 0;',
    '  readonly #seed: number;\n  #step: number;\n\n  /** Made with a seed. */\n  constructor(seed: number, step: number) {',
    '    super(seed);\n    this.#seed = seed;\n    this.#step = step;\n    Counter.#made += 1;',
    '  get #doubled(): number { return this.#count * 2; }',
    '  set #doubled(value: number) { this.#count = value / 2; }',
    '  #bump(): void { this.#count += this.#step; this.#doubled = this.#doubled + this.#seed; }',
    '  peek(other: Counter): number { this.#bump(); return other.#count; }',
    '  private exposed = 1;',
    '  #constructorLike(): number { return this.exposed; }',
    '  readonly #value: string;\n\n  constructor(value: string) {\n    this.#value = value;\n  }\n' +
      '  get(): string { return this.#value; }',
  ]) {
    assert.ok(text.includes(expected), `expected in the rewritten file:\n${expected}\n--- got:\n${text}`);
  }
  execFileSync(bin('tsc'), ['-p', join(root, 'tsconfig.json')], { encoding: 'utf8' });
});
