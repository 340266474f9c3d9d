// The import half of `pnpm check:layers`: dependency-cruiser follows every import (type-only ones
// too, and relative paths that cross into another package) and fails on one against the layers in
// layers.mjs. Run from the repository root (paths below are relative to it).
import { allPackages, allowedForSource, allowedForTests, fsAllowed, sourceMayAlsoUse } from './layers.mjs';

/** `^packages/<anything but these>/` */
function packagesOtherThan(/** @type {string[]} */ names) {
  return `^packages/(?!(?:${names.join('|')})/)[^/]+/`;
}

/** @param {string[]} names */
function listed(names) {
  return names.length === 0 ? 'nothing from the workspace' : names.map((n) => `@seglog/${n}`).join(', ');
}

/** One rule per package for its src/, one for its tests, scripts and examples. */
const layerRules = allPackages.flatMap((name) => [
  {
    name: `layers: packages/${name}/src`,
    comment: `packages/${name}/src may import only ${listed(allowedForSource(name))} ` +
      '(lower layers; testkit is test-only; see tools/lint/layers.mjs).',
    severity: 'error',
    from: { path: `^packages/${name}/src/` },
    to: { path: packagesOtherThan([name, ...allowedForSource(name)]) },
  },
  {
    name: `layers: packages/${name} tests`,
    comment: `packages/${name}'s tests, scripts and examples may import only its own code and ` +
      `${listed(allowedForTests(name))} (see tools/lint/layers.mjs).`,
    severity: 'error',
    from: { path: `^packages/${name}/(?!src/)` },
    to: { path: packagesOtherThan([name, ...allowedForTests(name)]) },
  },
]);

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    ...layerRules,
    {
      name: 'benchmarks only where layers.mjs allows',
      comment: 'The benchmarks are a private package at the top: only the packages named in layers.mjs ' +
        `sourceMayAlsoUse (${Object.keys(sourceMayAlsoUse).join(', ')}) may use them.`,
      severity: 'error',
      from: { path: packagesOtherThan(Object.keys(sourceMayAlsoUse).filter((name) => sourceMayAlsoUse[name].includes('benchmarks'))) },
      to: { path: '^benchmarks/' },
    },
    {
      name: 'node:fs only in packages/io',
      comment: 'Only @seglog/io touches the file system; other product code takes a FileIO (design.md).',
      severity: 'error',
      from: { path: packagesOtherThan(fsAllowed) + 'src/' },
      to: { dependencyTypes: ['core'], path: '^(node:)?fs(/promises)?$' },
    },
    {
      name: 'through the front door',
      comment: "Another package's code is reached through its index (the @seglog/<name> import), " +
        'never by a relative path into its files.',
      severity: 'error',
      from: { path: '^(?:packages/([^/]+)|benchmarks)/' },
      // `@seglog/queue/machine` is a documented subpath export (package.json `exports`), a front door too.
      to: {
        path: '^packages/[^/]+/',
        pathNot: ['^packages/$1/', '^packages/[^/]+/src/index\\.ts$', '^packages/queue/src/machine/index\\.ts$'],
      },
    },
    {
      name: 'src never imports tests',
      comment: 'Product code must not depend on test, script or example code of its package.',
      severity: 'error',
      from: { path: '^packages/([^/]+)/src/' },
      to: { path: '^packages/$1/(?!src/)' },
    },
    {
      name: 'no cycles in product code',
      comment: 'A cycle between modules of src/ makes load order matter; split the shared part out.',
      severity: 'error',
      from: { path: '^packages/[^/]+/src/' },
      to: { circular: true },
    },
    {
      name: 'resolvable',
      comment: 'This import does not resolve to a file: a typo, or a dependency missing from package.json.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // conformance/vendor: BullMQ's vendored test suite (its own dependencies, installed by its harness).
    exclude: { path: '(^|/)(dist|node_modules|\\.turbo|conformance/vendor)/' },
    // Type-only imports count: a type from a higher layer is a dependency on it all the same.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      // Resolve workspace packages to their src/ (as tests and tsx do), so no build is needed.
      conditionNames: ['@seglog/source', 'import', 'types', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.d.ts', '.json'],
      mainFields: ['types', 'module', 'main'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
