import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { appendCpuCommand } from '../src/commands/append-cpu.js';
import { profileTopCommand, selfTimes, type CpuProfile } from '../src/commands/profile-top.js';
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

test.serial('profile-top prints shares of busy time, and refuses a file that is no profile', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'seglog-profile-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const good = join(dir, 'a.cpuprofile');
  const bad = join(dir, 'b.cpuprofile');
  await writeFile(good, JSON.stringify(profile));
  await writeFile(bad, JSON.stringify({ nodes: [] }));
  const printed: string[] = [];
  const log = console.log;
  console.log = (line: string) => printed.push(line);
  try {
    await profileTopCommand.run([good, '--top', '2']);
  } finally {
    console.log = log;
  }
  const out = printed.join('\n');
  t.regex(out, /idle 40\.0%/);
  t.regex(out, /\| 50\.0% \| 30\.0% \| `add packages\/store\/dist\/open-batch\.js:10` \|/);
  t.notRegex(out, /compute/, '--top 2 leaves the third out');
  const refused = await t.throwsAsync(profileTopCommand.run([bad]));
  t.true(isSeglogError(refused, 'SEGLOG_INVALID_OPTION'));
  t.regex(refused?.message ?? '', /is not a V8 CPU profile/);
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

test('append-cpu --modes names disk and/or instant; anything else is a coded error before anything runs', async (t) => {
  const refused = await t.throwsAsync(appendCpuCommand.run(['--modes', 'disk,fast']));
  t.true(isSeglogError(refused, 'SEGLOG_INVALID_OPTION'));
  t.regex(refused?.message ?? '', /--modes .*unknown "fast"/);
});
