/**
 * One job: describe what produced the numbers: the machine (lib/machine.ts), and the version of
 * every engine (npm packages from benchmarks/node_modules, server binaries by asking them).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findBinary } from '../lib/server.js';

const benchmarksDir = fileURLToPath(new URL('../..', import.meta.url));
const packages = ['better-sqlite3', 'lmdb', 'classic-level', 'ioredis', 'nats', 'hdr-histogram-js', 'vega', 'vega-lite'] as const;

export function packageVersions(): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const name of packages) {
    try {
      const manifest = JSON.parse(readFileSync(`${benchmarksDir}node_modules/${name}/package.json`, 'utf8')) as { version?: string };
      versions[name] = manifest.version ?? 'unknown';
    } catch {
      versions[name] = 'not installed';
    }
  }
  return versions;
}

export function toolVersions(): Record<string, string> {
  return {
    'redis-server': firstLine('redis-server', ['--version']),
    'nats-server': firstLine('nats-server', ['--version']),
    strace: firstLine('strace', ['-V']),
  };
}

function firstLine(binary: string, args: readonly string[]): string {
  const path = findBinary(binary);
  if (path === null) return 'not installed';
  try {
    return execFileSync(path, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0] ?? '';
  } catch {
    return 'unknown';
  }
}
