import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import test from 'ava';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ['--import=tsx', '--conditions=@seglog/source', main, ...args], { encoding: 'utf8' });
  return { code: child.status, stdout: child.stdout, stderr: child.stderr };
}

test('with no command it lists every command and fails', (t) => {
  const { code, stdout } = run();
  t.is(code, 2);
  for (const name of ['suite', 'quickstart', 'probe', 'strace', 'window-shapes', 'preallocate', 'options-ab', 'append-cpu', 'follow', 'follow-reader', 'device', 'cell']) {
    t.regex(stdout, new RegExp(`^  ${name} `, 'm'));
  }
});

test('a bad flag is a coded error naming it, then the usage, and nothing runs', (t) => {
  const { code, stderr } = run('cell', '--engine', 'nope', '--record-bytes', '128', '--concurrency', '1');
  t.is(code, 2);
  t.regex(stderr, /^SEGLOG_INVALID_OPTION: option --engine .*"nope"/);
  t.regex(stderr, /usage: main\.js cell/);
  const suite = run('suite', '--', '--quick', '--repetitions', '0');
  t.is(suite.code, 2, 'the -- that pnpm passes through is not an argument');
  t.regex(suite.stderr, /--repetitions must be a positive number/);
  t.regex(run('options-ab', '--bogus').stderr, /Unknown option '--bogus'[\s\S]*usage: main\.js options-ab/);
});

test('--help prints the command usage, and an unknown command is refused', (t) => {
  const help = run('quickstart', '--help');
  t.is(help.code, 0);
  t.regex(help.stdout, /--warmup-ms M/);
  const unknown = run('bogus');
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command "bogus"/);
});
