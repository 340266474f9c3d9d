/**
 * One job: the simulated namespace: directories and files as nodes, paths resolved through them.
 *
 * Each node keeps two views. A file has a volatile image (what reads see) and a durable image
 * (what survives power loss), plus the pending operations between them. A directory has a
 * volatile name->node map (what lookups see) and a durable one, which only `syncDir` of that
 * directory updates: so creation, rename and unlink are lost at a crash until the directory is
 * synced, and a file's own sync never makes its name durable.
 */
import { ByteImage } from './sim-image.js';
import type { PendingOp } from './sim-image.js';
import { systemError } from './sim-errors.js';

export class SimFile {
  readonly kind = 'file';
  volatile = new ByteImage();
  durable = new ByteImage();
  /** Operations on `volatile` not yet in `durable`, in issue order. */
  unsynced: PendingOp[] = [];
}

export class SimDir {
  readonly kind = 'dir';
  volatile = new Map<string, SimNode>();
  durable = new Map<string, SimNode>();
}

export type SimNode = SimFile | SimDir;

/**
 * The components of an absolute path, with '.', '..' and repeated slashes resolved. Relative
 * paths are taken from '/': the simulator has no working directory.
 */
export function splitPath(path: string): string[] {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`a path must be a non-empty string, got ${String(path)}`);
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts;
}

export function joinPath(parts: readonly string[]): string {
  return `/${parts.join('/')}`;
}

export function normalizePath(path: string): string {
  return joinPath(splitPath(path));
}

/** The node at `parts` in the volatile tree, or undefined; ENOTDIR if a middle component is a file. */
function lookupParts(root: SimDir, parts: readonly string[], syscall: string, path: string): SimNode | undefined {
  let node: SimNode = root;
  for (const part of parts) {
    if (node.kind !== 'dir') throw systemError('ENOTDIR', syscall, path);
    const child: SimNode | undefined = node.volatile.get(part);
    if (child === undefined) return undefined;
    node = child;
  }
  return node;
}

export function lookup(root: SimDir, path: string, syscall: string): SimNode | undefined {
  return lookupParts(root, splitPath(path), syscall, path);
}

/** The existing directory at `path`: ENOENT if missing, ENOTDIR if a file. */
export function lookupDir(root: SimDir, path: string, syscall: string): SimDir {
  const node = lookup(root, path, syscall);
  if (node === undefined) throw systemError('ENOENT', syscall, path);
  if (node.kind !== 'dir') throw systemError('ENOTDIR', syscall, path);
  return node;
}

export interface ParentEntry {
  readonly parent: SimDir;
  readonly name: string;
  readonly node: SimNode | undefined;
}

/** The directory that holds `path` (which must exist) and the entry named there, if any. */
export function lookupEntry(root: SimDir, path: string, syscall: string): ParentEntry {
  const parts = splitPath(path);
  const name = parts.pop();
  if (name === undefined) throw systemError('EISDIR', syscall, path);
  const parent = lookupParts(root, parts, syscall, path);
  if (parent === undefined) throw systemError('ENOENT', syscall, path);
  if (parent.kind !== 'dir') throw systemError('ENOTDIR', syscall, path);
  return { parent, name, node: parent.volatile.get(name) };
}

/**
 * Visits every node reachable through `view` maps from `root`, once each, parents before
 * children, in insertion order (so a walk is deterministic). Paths are the first found.
 */
export function walkTree(root: SimDir, view: 'volatile' | 'durable', visit: (path: string, node: SimNode) => void): void {
  const seen = new Set<SimNode>();
  const pending: Array<[string[], SimNode]> = [[[], root]];
  while (pending.length > 0) {
    const [parts, node] = pending.shift()!;
    if (seen.has(node)) continue;
    seen.add(node);
    visit(joinPath(parts), node);
    if (node.kind === 'dir') {
      for (const [name, child] of node[view]) pending.push([[...parts, name], child]);
    }
  }
}
