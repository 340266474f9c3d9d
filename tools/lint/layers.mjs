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
  ['bullmq', 'jetstream', 'cli', 'prometheus'],
];

/** Test support: a devDependency only. Tests, scripts and examples may use it; product code never. */
export const devOnly = ['testkit'];

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
  return layers.slice(0, own).flat().filter((dep) => !devOnly.includes(dep));
}

/**
 * What tests, scripts and examples of `name` may import: its own src, lower layers and test support.
 * Test support's own tests stay on its layer rule (testkit never drives store or reader directly).
 * @param {string} name
 */
export function allowedForTests(name) {
  const lower = layers.slice(0, layerOf(name)).flat();
  const support = devOnly.filter((dep) => dep !== name);
  return [...new Set([...lower, ...support])];
}
