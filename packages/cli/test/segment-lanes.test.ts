/**
 * One job: segment-lanes.ts checks segments on worker threads and gives back what one thread
 * would: every check in segment order, damage found by a worker in its place, the error of the
 * lowest failing segment, and a cancel that ends every worker.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { isSeglogError } from '@seglog/types';
import { readLogDir } from '../src/log-dir.js';
import { checkSegmentsOnLanes } from '../src/segment-lanes.js';
import type { SegmentTask } from '../src/segment-lanes.js';
import type { SegmentCheck } from '../src/segment-check.js';
import { errorFromMessage, errorToMessage } from '../src/segment-lane-messages.js';
import { SeglogError, ErrorCodes } from '@seglog/types';
import { flipByte, makeLog, removeTempDirs, segmentNames } from './helpers.js';

test.after.always(removeTempDirs);

async function tasksOf(dir: string): Promise<SegmentTask[]> {
  const logDir = await readLogDir(dir);
  return logDir.segments.map((segment, i) => ({
    segment,
    options: { quick: false, isLast: i === logDir.segments.length - 1, log: null },
  }));
}

function checkOn(
  tasks: readonly SegmentTask[],
  lanes: number,
  mainLane: boolean,
  signal = new AbortController().signal,
  checkedBy: number[] = [],
): Promise<SegmentCheck[]> {
  let bytes = 0;
  const onChecked = (index: number, lane: number): void => void (checkedBy[index] = lane);
  const onBytes = (read: number): void => void (bytes += read);
  return checkSegmentsOnLanes(tasks, { lanes, mainLane, signal, onBytes, onChecked }).then((checks) => {
    const read = checks.reduce((sum, check) => sum + check.checkedBytes, 0);
    if (read !== bytes) throw new Error(`progress counted ${bytes} bytes, the checks read ${read}`);
    return checks;
  });
}

test('workers alone check every segment and give back what one thread does, in order', async (t) => {
  const dir = await makeLog(900);
  const names = await segmentNames(dir);
  t.true(names.length >= 6);
  await flipByte(path.join(dir, names[1]!), 4096 + 56);
  await flipByte(path.join(dir, names[4]!), 4096 + 56);
  const tasks = await tasksOf(dir);
  const alone = await checkOn(tasks, 1, true);
  const checkedBy: number[] = [];
  const workers = await checkOn(tasks, 3, false, undefined, checkedBy);
  t.deepEqual(workers, alone);
  t.is(checkedBy.length, names.length);
  t.false(checkedBy.includes(0), 'no segment was left to the main thread');
  t.deepEqual(workers.map((check) => check.segment.name), names);
  const damaged = workers.filter((check) => check.problems.some((found) => found.kind === 'damage'));
  t.deepEqual(damaged.map((check) => check.segment.name), [names[1], names[4]]);
  t.is(damaged[0]!.problems[0]!.filePosition, 4096);
  t.not(damaged[0]!.problems[0]!.expected, damaged[0]!.problems[0]!.actual);
  // The main thread as one lane beside two workers: the same again.
  t.deepEqual(await checkOn(tasks, 3, true), alone);
});

test('a failing segment: the error of the lowest one is thrown, with its code, whichever lane met it', async (t) => {
  const dir = await makeLog(900);
  const tasks = await tasksOf(dir);
  await fs.rm(tasks[2]!.segment.path);
  await fs.rm(tasks[4]!.segment.path);
  const error = await t.throwsAsync(checkOn(tasks, 3, false));
  t.is((error as NodeJS.ErrnoException).code, 'ENOENT');
  t.true(error.message.includes(tasks[2]!.segment.name), error.message);
});

test('cancelling ends the workers and rejects with an AbortError', async (t) => {
  const dir = await makeLog(900);
  const tasks = await tasksOf(dir);
  const controller = new AbortController();
  const checking = checkOn(tasks, 2, false, controller.signal);
  controller.abort();
  const error = await t.throwsAsync(checking, { any: true });
  t.is((error as { name?: string }).name, 'AbortError');
});

test('an error crosses from a worker with its class, code, message and details', (t) => {
  const sent = new SeglogError(ErrorCodes.CORRUPT, 'bad header', { file: '/x/0.seg', positionBytes: 12, offset: 7 });
  const back = errorFromMessage(structuredClone(errorToMessage(sent)));
  t.true(isSeglogError(back, ErrorCodes.CORRUPT));
  t.is(back.message, sent.message);
  t.like(back, { file: '/x/0.seg', positionBytes: 12, offset: 7 });
  const io = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
  const ioBack = errorFromMessage(structuredClone(errorToMessage(io))) as NodeJS.ErrnoException;
  t.is(ioBack.code, 'EACCES');
  t.is(ioBack.message, io.message);
});

test('workers started from the command line are the ones a lane takes; unused ones are dropped', async (t) => {
  const { dropUnusedWorkers, prestartForArgv, takeWorker, unusedWorkers } = await import('../src/segment-workers.js');
  for (const args of [['--quick'], ['--jobs=1'], ['--jobs', '1'], ['--help']]) {
    prestartForArgv(['node', 'seglog', 'verify', '/some/log', ...args]);
    t.is(unusedWorkers(), 0, args.join(' '));
  }
  prestartForArgv(['node', 'seglog', 'stat', '/some/log']);
  t.is(unusedWorkers(), 0);
  prestartForArgv(['node', 'seglog', 'verify', '/some/log', '--jobs', '3']);
  t.is(unusedWorkers(), 2);
  const [first, second] = [takeWorker(), takeWorker()];
  t.is(unusedWorkers(), 0, 'the lanes took the started workers');
  t.true(await first.ready);
  t.true(await second.ready);
  await Promise.all([first.worker.terminate(), second.worker.terminate()]);
  prestartForArgv(['node', 'seglog', 'verify', '/some/log', '--jobs=64']);
  t.is(unusedWorkers(), 3, 'at most 3 before the command line is parsed');
  await dropUnusedWorkers();
  t.is(unusedWorkers(), 0);
  const fresh = takeWorker();
  t.true(await fresh.ready, 'a take with none started starts one');
  await fresh.worker.terminate();
});
