/**
 * One job: measure the CPU that one append costs, split into the store's own work and the rest.
 *
 *   node dist/append-cpu.js [--appenders 256] [--seconds 3] [--rounds 3] [--record-bytes 128]
 *
 * Each round runs two closed loops of `--appenders` appenders on a fresh log, one after the other:
 * - `disk`: the real log on the real disk, defaults, as a user runs it.
 * - `instant`: the same log, except that segment writes and fdatasyncs complete on the next turn
 *   of the event loop without a system call. What remains is the store's own CPU per append
 *   (framing, checksums, batching, telemetry, promises) plus this script's tiny loop. It is a
 *   measuring device only: nothing in the product uses it.
 * CPU is process.cpuUsage (all threads, user + system) over the window, divided by the appends in
 * it; medians of the rounds are printed last.
 */
import { parseArgs } from 'node:util';
import { openLog } from '@seglog/store';
import { nodeFileIO } from '@seglog/io';
import type { FileHandle, FileIO, OpenMode } from '@seglog/types';
import { median } from './lib/stats.js';
import { withTempDir } from './lib/tmpdir.js';

type Mode = 'disk' | 'instant';

interface Sample {
  readonly mode: Mode;
  readonly appendsPerSecond: number;
  readonly cpuMicrosPerAppend: number;
  readonly userMicrosPerAppend: number;
  readonly systemMicrosPerAppend: number;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A segment file whose writes and syncs cost no system call; everything else is the real file. */
function instantSegment(handle: FileHandle): FileHandle {
  return {
    path: handle.path,
    writev: nextTurn,
    datasync: nextTurn,
    read: (buffer, position) => handle.read(buffer, position),
    sync: () => handle.sync(),
    truncate: (length) => handle.truncate(length),
    sizeBytes: () => handle.sizeBytes(),
    close: () => handle.close(),
  };
}

/** The real file system, except that segment files (`*.seg`, `*.seg.tmp`) get instant writes. */
function instantSegmentIO(): FileIO {
  return {
    open: async (path: string, mode: OpenMode) => {
      const handle = await nodeFileIO.open(path, mode);
      return path.includes('.seg') ? instantSegment(handle) : handle;
    },
    mkdirp: (dir) => nodeFileIO.mkdirp(dir),
    readdir: (dir) => nodeFileIO.readdir(dir),
    stat: (path) => nodeFileIO.stat(path),
    rename: (source, target) => nodeFileIO.rename(source, target),
    unlink: (path) => nodeFileIO.unlink(path),
    syncDir: (dir) => nodeFileIO.syncDir(dir),
    lock: (dir) => nodeFileIO.lock(dir),
  };
}

async function runOnce(mode: Mode, appenders: number, seconds: number, recordBytes: number): Promise<Sample> {
  return withTempDir(async (dir) => {
    const log = await openLog(mode === 'disk' ? { dir } : { dir, io: instantSegmentIO(), preallocate: false });
    const payload = new Uint8Array(recordBytes).fill(7);
    let stopped = false;
    let appends = 0;
    const loop = async (): Promise<void> => {
      while (!stopped) {
        await log.append(payload);
        appends++;
      }
    };
    const loops = Array.from({ length: appenders }, loop);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const appendsBefore = appends;
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const cpu = process.cpuUsage(cpuBefore);
    const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const counted = appends - appendsBefore;
    stopped = true;
    await Promise.all(loops);
    await log.close();
    return {
      mode,
      appendsPerSecond: counted / elapsedSeconds,
      cpuMicrosPerAppend: (cpu.user + cpu.system) / counted,
      userMicrosPerAppend: cpu.user / counted,
      systemMicrosPerAppend: cpu.system / counted,
    };
  });
}

function line(sample: Sample): string {
  return `${sample.mode.padEnd(8)} ${Math.round(sample.appendsPerSecond).toLocaleString('en-US').padStart(11)}/s  cpu ${sample.cpuMicrosPerAppend.toFixed(3)} us/append (user ${sample.userMicrosPerAppend.toFixed(3)}, system ${sample.systemMicrosPerAppend.toFixed(3)})`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      appenders: { type: 'string', default: '256' },
      seconds: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '3' },
      'record-bytes': { type: 'string', default: '128' },
    },
  });
  const appenders = Number(values.appenders);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const recordBytes = Number(values['record-bytes']);
  for (const [name, value] of Object.entries({ appenders, seconds, rounds, recordBytes })) {
    if (!(value > 0)) throw new TypeError(`--${name} must be a positive number`);
  }
  const samples: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['disk', 'instant'] as const) {
      const sample = await runOnce(mode, appenders, seconds, recordBytes);
      samples.push(sample);
      console.log(`round ${round + 1}/${rounds} ${line(sample)}`);
    }
  }
  console.log(`\nmedians of ${rounds} rounds, ${appenders} appenders x ${recordBytes} B:`);
  for (const mode of ['disk', 'instant'] as const) {
    const of = samples.filter((sample) => sample.mode === mode);
    console.log(
      line({
        mode,
        appendsPerSecond: median(of.map((s) => s.appendsPerSecond)),
        cpuMicrosPerAppend: median(of.map((s) => s.cpuMicrosPerAppend)),
        userMicrosPerAppend: median(of.map((s) => s.userMicrosPerAppend)),
        systemMicrosPerAppend: median(of.map((s) => s.systemMicrosPerAppend)),
      }),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
