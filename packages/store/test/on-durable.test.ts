/**
 * One job: `log.onDurable`, the in-process wake-up hook for followers (issue 12).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SimFileIO } from '@seglog/testkit';
import { openLog } from '../src/index.js';

test('onDurable reports each new durable end before the appends resolve, and unsubscribing stops it', async (t) => {
  const io = new SimFileIO({ seed: 31 });
  const log = await openLog({ dir: '/hook', io, blockBytes: 512 });
  const reported: number[] = [];
  const unsubscribe = log.onDurable((durableOffset) => {
    t.is(durableOffset, log.durableOffset, 'the listener sees the log already at that end');
    reported.push(durableOffset);
  });
  const first = await log.append(Uint8Array.of(1));
  t.true(reported.includes(first + 1), 'reported before the append resolved');
  await Promise.all([log.append(Uint8Array.of(2)), log.append(Uint8Array.of(3))]);
  t.is(reported[reported.length - 1], 3);
  t.deepEqual([...reported].sort((a, b) => a - b), reported, 'in order');
  unsubscribe();
  unsubscribe(); // idempotent
  await log.append(Uint8Array.of(4));
  t.is(reported[reported.length - 1], 3, 'nothing after unsubscribing');
  await log.close();
});

test('a listener that throws does not fail the append: its error surfaces as an uncaught exception', (t) => {
  // In a child process: ava treats an uncaught exception in its own worker as a failed run.
  const script = `
    import { SimFileIO } from '@seglog/testkit';
    import { openLog } from './src/index.ts';
    process.on('uncaughtException', (error) => console.log('uncaught ' + error.message));
    const log = await openLog({ dir: '/throw', io: new SimFileIO({ seed: 32 }), blockBytes: 512 });
    log.onDurable(() => { throw new Error('listener bug'); });
    console.log('appended ' + (await log.append(Uint8Array.of(1))));
    await log.close();
  `;
  const packageDir = fileURLToPath(new URL('..', import.meta.url));
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--conditions=@seglog/source', '--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
  t.regex(out, /uncaught listener bug/);
  t.regex(out, /appended 0/);
});

test('onDurable needs a function', async (t) => {
  const log = await openLog({ dir: '/bad', io: new SimFileIO({ seed: 33 }), blockBytes: 512 });
  t.throws(() => log.onDurable('nope' as never), { instanceOf: TypeError, message: /onDurable needs a function/ });
  await log.close();
});
