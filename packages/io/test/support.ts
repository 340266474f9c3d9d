/**
 * One job: helpers shared by the io tests: throwaway directories and child node processes that
 * run this package's sources (through tsx), for what only another process can show.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const sourceIndexUrl = new URL('../src/index.ts', import.meta.url).href;

/** A fresh empty directory, removed when the test ends. */
export function tempDir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seglog-io-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Starts `node -e <moduleCode>` able to import the package sources. `shellPrefix`, when given,
 * runs first in sh (e.g. a ulimit) before exec'ing node. The child is SIGKILLed at test end.
 */
export function spawnModuleScript(t: ExecutionContext, moduleCode: string, shellPrefix?: string): ChildProcess {
  const nodeArgs = ['--import', 'tsx', '--conditions=@seglog/source', '--input-type=module', '-e', moduleCode];
  const child =
    shellPrefix === undefined
      ? spawn(process.execPath, nodeArgs, { cwd: packageDir, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('sh', ['-c', `${shellPrefix} && exec "$0" "$@"`, process.execPath, ...nodeArgs], {
          cwd: packageDir,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** The first line the child prints on stdout; rejects with its stderr if it exits first. */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const end = stdout.indexOf('\n');
      if (end >= 0) resolve(stdout.slice(0, end));
    });
    child.on('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before a line: ${stderr}`)));
  });
}

/** Resolves once the child has exited and been reaped. */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
