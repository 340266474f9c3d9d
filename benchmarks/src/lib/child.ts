/**
 * One job: run a benchmark subcommand (`main.js cell`, `main.js device`) in a child process,
 * optionally under a wrapper such as strace, and return the JSON line it prints.
 *
 * A child that overruns its deadline is sent SIGTERM (`cell` then kills any server it started),
 * and SIGKILL a few seconds later; both by the child's own pid.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** dist/main.js (this file is dist/lib/child.js). */
const mainScript = fileURLToPath(new URL('../main.js', import.meta.url));

const killGraceMillis = 5000;

export interface ChildRun {
  /** The program and arguments before `node script ...` (e.g. strace and its flags); empty for none. */
  readonly wrapper?: readonly string[];
  /** The subcommand of main.js, such as `cell`. */
  readonly command: string;
  /** Another build's main.js to run (an A/B of two checkouts); this build's by default. */
  readonly script?: string;
  readonly args: readonly string[];
  readonly timeoutMillis: number;
}

export class ChildFailure extends Error {}

export async function runChildJson<T>(run: ChildRun): Promise<T> {
  const command = [...(run.wrapper ?? []), process.execPath, run.script ?? mainScript, run.command, ...run.args];
  const [program, ...args] = command as [string, ...string[]];
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-4000)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, killGraceMillis).unref();
  }, run.timeoutMillis);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  }).finally(() => clearTimeout(timer));
  if (timedOut) throw new ChildFailure(`timed out after ${Math.round(run.timeoutMillis / 1000)} s`);
  if (exitCode !== 0) throw new ChildFailure(`exited with ${exitCode}: ${lastLines(stderr)}`);
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new ChildFailure(`printed no JSON result: ${lastLines(stderr || stdout)}`);
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
