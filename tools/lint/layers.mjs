// The layers of seglog, written once (contracts.md, design.md). Both halves of `pnpm check:layers`
// read this table: the import check (dependency-cruiser, depcruise.config.mjs) and the manifest
// check (check-manifests.mjs). A package may use only packages in layers below its own; packages
// in the same layer never use each other (so store and reader stay apart).
//
// To add a package: put its folder name in the right layer. A folder under packages/ that is not
// listed here fails the check, so a new package cannot skip the layering by accident.

/** Lowest first. */
export const layers = [
  ['types'],
  ['format', 'bufpool', 'io'],
  ['store', 'reader', 'testkit'],
  ['queue'],
  ['bullmq', 'jetstream', 'prometheus'],
  // The CLI sits above the integrations: `seglog jetstream ship|restore|stat` runs @seglog/jetstream.
  ['cli'],
];

/** Test support: a devDependency only. Tests, scripts and examples may use it; product code never. */
export const devOnly = ['testkit'];

/**
 * Same-layer packages a package's tests (never its src/) may use, one direction only. The reader's
 * tests read logs that the writer wrote (the damage fuzz and the hostile-directory cases need real
 * store output); the store's tests read back through testkit's `readLog`, never the reader, so
 * there is no cycle.
 */
export const testsMayAlsoUse = { reader: ['store'] };

/**
 * Folders outside packages/ that a package's product code may use, one direction only. The CLI's
 * `seglog bench` and `seglog bench --probe` are the benchmarks package's quickstart and flush probe
 * (issue 15 asks for today's quickstart, not a second copy of it that would drift). The CLI loads it
 * only inside that subcommand (a dynamic import), so no other command pays for it. The benchmarks
 * never import the CLI, so there is no cycle.
 */
export const sourceMayAlsoUse = { cli: ['benchmarks'] };

/** The only packages whose product code (src/) may import `node:fs`: the I/O engine. */
export const fsAllowed = ['io'];

/** Folders outside packages/ that may use every package (and `node:fs`). */
export const unrestricted = ['benchmarks'];

/** Every package name, in layer order. */
export const allPackages = layers.flat();

/** @param {string} name */
export function layerOf(name) {
  return layers.findIndex((layer) => layer.includes(name));
}

/**
 * What product code (src/) of `name` may import: the packages in lower layers, less test support.
 * @param {string} name
 */
export function allowedForSource(name) {
  const own = layerOf(name);
  const outside = sourceMayAlsoUse[/** @type {keyof typeof sourceMayAlsoUse} */ (name)] ?? [];
  return [...layers.slice(0, own).flat().filter((dep) => !devOnly.includes(dep)), ...outside];
}

/**
 * What tests, scripts and examples of `name` may import: its own src, lower layers and test support.
 * Test support's own tests stay on its layer rule (testkit never drives store or reader directly).
 * @param {string} name
 */
export function allowedForTests(name) {
  const lower = layers.slice(0, layerOf(name)).flat();
  const support = devOnly.filter((dep) => dep !== name);
  const sideways = testsMayAlsoUse[/** @type {keyof typeof testsMayAlsoUse} */ (name)] ?? [];
  return [...new Set([...lower, ...support, ...sideways])];
}
