// The manifest half of `pnpm check:layers`: every package under packages/ has a layer, and its
// package.json declares only the workspace packages its layer allows, each of which it uses.
// (dependency-cruiser checks the imports themselves; pnpm's strict node_modules makes an import of
// an undeclared package unresolvable, which dependency-cruiser reports too.)
//
// `node check-manifests.mjs --baseline` records the problems left now in manifest-known-problems.json;
// a known problem is listed but does not fail the check, a new one does.
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allPackages, allowedForSource, allowedForTests, devOnly } from './layers.mjs';

// `--root <dir>` checks another tree (the tests use small fixture trees).
const rootFlag = process.argv.indexOf('--root');
const root = rootFlag > 0 ? resolve(process.argv[rootFlag + 1]) : fileURLToPath(new URL('../..', import.meta.url));
const problems = [];

/** Every .ts/.mts/.js file below `dir`, less build output and installed packages. */
function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  let found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found = found.concat(sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) found.push(path);
  }
  return found;
}

/** Whether any of `files` imports `@seglog/<name>` (quoted exactly, as an import specifier). */
function imports(files, name) {
  // A package's subpath exports (`@seglog/queue/machine`) count as importing it.
  const specifier = new RegExp(`['"]@seglog/${name}(/[a-z-]+)?['"]`);
  return files.some((file) => specifier.test(readFileSync(file, 'utf8')));
}

function workspaceDeps(record) {
  return Object.keys(record ?? {})
    .filter((dep) => dep.startsWith('@seglog/'))
    .map((dep) => dep.slice('@seglog/'.length));
}

const packagesDir = join(root, 'packages');
for (const name of readdirSync(packagesDir).sort()) {
  const dir = join(packagesDir, name);
  if (!statSync(dir).isDirectory()) continue;
  const where = `packages/${name}/package.json`;
  if (!allPackages.includes(name)) {
    problems.push(`${where}: packages/${name} has no layer; add it to tools/lint/layers.mjs`);
    continue;
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const srcFiles = sourceFiles(join(dir, 'src'));
  const allFiles = sourceFiles(dir);
  const runtime = [
    ...workspaceDeps(manifest.dependencies),
    ...workspaceDeps(manifest.optionalDependencies),
    ...workspaceDeps(manifest.peerDependencies),
  ];
  for (const dep of runtime) {
    if (devOnly.includes(dep)) {
      problems.push(`${where}: @seglog/${dep} is test support: list it in devDependencies, not dependencies`);
    } else if (!allowedForSource(name).includes(dep)) {
      problems.push(`${where}: depends on @seglog/${dep}, which is not in a layer below ${name}`);
    } else if (!imports(srcFiles, dep)) {
      problems.push(`${where}: depends on @seglog/${dep}, but src/ never imports it: drop it ` +
        '(or move it to devDependencies if only tests use it)');
    }
  }
  for (const dep of workspaceDeps(manifest.devDependencies)) {
    if (!allowedForTests(name).includes(dep)) {
      problems.push(`${where}: devDependency @seglog/${dep} is not in a layer below ${name} ` +
        '(tests may use lower layers, test support and what tools/lint/layers.mjs allows sideways only)');
    } else if (!imports(allFiles, dep)) {
      problems.push(`${where}: devDependency @seglog/${dep} is never imported: drop it`);
    }
  }
}

const knownPath = join(root, 'tools/lint/manifest-known-problems.json');
if (process.argv.includes('--baseline')) {
  writeFileSync(knownPath, JSON.stringify(problems, null, 2) + '\n');
  console.log(`check:layers: ${problems.length} known manifest problem(s) recorded in ${relative(root, knownPath)}`);
  process.exit(0);
}
const known = new Set(existsSync(knownPath) ? JSON.parse(readFileSync(knownPath, 'utf8')) : []);
const fresh = problems.filter((problem) => !known.has(problem));
for (const problem of problems.filter((p) => known.has(p))) console.log(`  known manifest: ${problem}`);
for (const problem of fresh) console.error(`  error manifest: ${problem}`);
if (fresh.length > 0) {
  console.error(`\nx ${fresh.length} manifest problem(s). Layers: tools/lint/layers.mjs`);
  process.exit(1);
}
console.log(`✔ manifests (${known.size} known): ${relative(root, packagesDir)}/* declare only what their layers allow, and use it`);
