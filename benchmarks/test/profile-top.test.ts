import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { selfTimes, type CpuProfile } from '../src/commands/profile-top.js';
import { measureAsyncDsyncWrites } from '../src/lib/device-ceiling.js';

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9 });

/** Three functions and idle: add 30 µs, crc 10 µs, the driver 20 µs, idle 40 µs. */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(idle)', '') },
    { id: 2, callFrame: frame('add', 'file:///repo/packages/store/dist/open-batch.js') },
    { id: 3, callFrame: frame('compute', 'file:///repo/packages/format/dist/crc32c.js') },
    { id: 4, callFrame: frame('appendLoop', 'file:///repo/benchmarks/dist/lib/drive.js') },
  ],
  samples: [2, 1, 2, 3, 4, 1, 2, 4],
  timeDeltas: [10, 20, 10, 10, 10, 20, 10, 10],
};

test('self time per function and per area, idle apart', (t) => {
  const times = selfTimes(profile);
  t.is(times.totalMicros, 100);
  t.is(times.idleMicros, 40);
  t.is(times.byFunction.get('add packages/store/dist/open-batch.js:10'), 30);
  t.is(times.byFunction.get('compute packages/format/dist/crc32c.js:10'), 10);
  t.is(times.byArea.get('packages/store'), 30);
  t.is(times.byArea.get('benchmarks'), 20);
  t.false([...times.byFunction.keys()].some((name) => name.startsWith('(idle)')), 'idle is not a function');
  const late = selfTimes(profile, 60);
  t.is(late.totalMicros, 40, '--skip-ms leaves out the samples up to 60 µs');
  t.is(late.byFunction.get('add packages/store/dist/open-batch.js:10'), 10);
});

test('profile-top prints shares of busy time, and refuses a file that is no profile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seglog-profile-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const good = join(dir, 'a.cpuprofile');
  const bad = join(dir, 'b.cpuprofile');
  await writeFile(good, JSON.stringify(profile));
  await writeFile(bad, JSON.stringify({ nodes: [] }));
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['--import=tsx', '--conditions=@seglog/source', main, 'profile-top', ...args], { encoding: 'utf8' });
  const ok = run(good, '--top', '2');
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout, /idle 40\.0%/);
  t.regex(ok.stdout, /\| 50\.0% \| 30\.0% \| `add packages\/store\/dist\/open-batch\.js:10` \|/);
  t.notRegex(ok.stdout, /compute/, '--top 2 leaves the third out');
  const refused = run(bad);
  t.is(refused.status, 2);
  t.regex(refused.stderr, /SEGLOG_INVALID_OPTION: .*is not a V8 CPU profile/);
});

test('the bare async O_DSYNC loop runs at depth 1 and 2 and counts every write', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seglog-device-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  for (const depth of [1, 2]) {
    const figures = await measureAsyncDsyncWrites(dir, 0.1, depth);
    t.true(figures.writes >= depth, `depth ${depth}: every chain wrote`);
    t.is(figures.latencyMicros.count, figures.writes, 'one latency per write');
  }
});

test('append-cpu --modes names disk and/or instant; anything else is a coded error', (t) => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  const child = spawnSync(process.execPath, ['--import=tsx', '--conditions=@seglog/source', main, 'append-cpu', '--modes', 'disk,fast'], {
    encoding: 'utf8',
  });
  t.is(child.status, 2);
  t.regex(child.stderr, /SEGLOG_INVALID_OPTION: option --modes .*unknown "fast"/);
});
