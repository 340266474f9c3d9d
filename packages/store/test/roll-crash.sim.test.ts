/**
 * Crash at every step of a segment roll (issue 11 item 3): a roll seals the segment it leaves (its
 * trailer written and flushed, with HEAD and the sealed index) before the next segment gets its
 * name, and the next open trusts those trailers instead of reading the sealed segments. Here a log
 * with tiny segments rolls several times while the simulated disk loses power right after its N-th
 * I/O call, for every N the run makes, with unsynced writes dropped, kept, or each one's fate drawn.
 * After each crash: every acknowledged record reads back byte for byte, open never had to scan a
 * sealed segment (every sealed segment had a trailer it could trust), and the log takes appends and
 * opens again. A failure names N and the fate.
 */
import test from 'ava';
import { openLog } from '@seglog/store';
import type { Log } from '@seglog/store';
import { SimFileIO, readLog } from '@seglog/testkit';
import type { FileHandle, FileIO } from '@seglog/types';

const DIR = '/data/log';
/** 8 blocks of 512: the header, six one-block batches, and the trailer block. */
const OPTIONS = { blockBytes: 512, segmentBytes: 4096, commitWindow: { fixedMicros: 0 } } as const;
const RECORDS = 20;
const FATES = ['drop', 'keep', undefined] as const;

const payloadOf = (i: number): Uint8Array => new Uint8Array(100 + (i % 7)).fill(i + 1);

/** Counts every completed call through `io` (and its handles); after the `crashAt`-th, power fails. */
function crashingIo(io: FileIO, onCall: () => void): FileIO {
  const wrapHandle = (handle: FileHandle): FileHandle => ({
    path: handle.path,
    writev: async (buffers, positionBytes) => after(await handle.writev(buffers, positionBytes)),
    read: async (buffer, positionBytes) => after(await handle.read(buffer, positionBytes)),
    datasync: async () => after(await handle.datasync()),
    sync: async () => after(await handle.sync()),
    truncate: async (lengthBytes) => after(await handle.truncate(lengthBytes)),
    sizeBytes: async () => after(await handle.sizeBytes()),
    close: async () => after(await handle.close()),
  });
  function after<T>(value: T): T {
    onCall();
    return value;
  }
  return {
    open: async (path, mode, modes) => wrapHandle(after(await io.open(path, mode, modes))),
    mkdirp: async (dir, dirMode) => after(await io.mkdirp(dir, dirMode)),
    readdir: async (dir) => after(await io.readdir(dir)),
    stat: async (path) => after(await io.stat(path)),
    rename: async (source, target) => after(await io.rename(source, target)),
    unlink: async (path) => after(await io.unlink(path)),
    syncDir: async (dir) => after(await io.syncDir(dir)),
    lock: (dir, modes) => io.lock(dir, modes),
  };
}

interface Run {
  readonly acked: number;
  readonly calls: number;
  readonly rolls: number;
}

/** Appends RECORDS one at a time through an io that crashes after call `crashAt` (never, if past the end). */
async function runUntilCrash(
  sim: SimFileIO,
  crashAt: number,
  fate: (typeof FATES)[number],
  variant: Variant,
): Promise<Run> {
  let calls = 0;
  let crashed = false;
  const io = crashingIo(sim.boot(), () => {
    calls++;
    if (calls === crashAt) {
      crashed = true;
      sim.crash(fate === undefined ? {} : { unsynced: fate });
    }
  });
  let acked = 0;
  try {
    const log: Log = await openLog({ dir: DIR, io, ...OPTIONS, ...variant });
    for (let i = 0; i < RECORDS; i++) {
      if ((await log.append(payloadOf(i))) !== i) throw new Error(`record ${i} got another offset`);
      acked++;
    }
    const rolls = log.metrics().segmentsCreated - 1;
    await log.close();
    return { acked, calls, rolls };
  } catch (error) {
    if (!crashed) throw error;
    return { acked, calls, rolls: 0 };
  }
}

interface Variant {
  readonly preallocate: boolean;
  readonly syncMethod: 'fdatasync' | 'open_datasync';
}

const VARIANTS: readonly Variant[] = [
  { preallocate: true, syncMethod: 'fdatasync' },
  { preallocate: false, syncMethod: 'fdatasync' },
  { preallocate: true, syncMethod: 'open_datasync' },
];

for (const variant of VARIANTS) {
  test(`power lost after every I/O call of a run that rolls (${JSON.stringify(variant)}) loses nothing acknowledged`, async (t) => {
    const setup = async (): Promise<SimFileIO> => {
      const sim = new SimFileIO({ seed: 11 });
      await sim.mkdirp(DIR);
      await sim.syncDir('/data');
      await sim.syncDir('/');
      return sim;
    };
    const whole = await runUntilCrash(await setup(), Number.POSITIVE_INFINITY, 'drop', variant);
    t.true(whole.rolls >= 3, `${whole.rolls} rolls`);
    let checked = 0;
    for (let crashAt = 1; crashAt <= whole.calls; crashAt++) {
      for (const fate of FATES) {
        const where = `crash after call ${crashAt} of ${whole.calls}, unsynced ${fate ?? 'drawn per file'}`;
        const sim = await setup();
        const { acked } = await runUntilCrash(sim, crashAt, fate, variant);
        const io = sim.boot();
        const log = await openLog({ dir: DIR, io, ...OPTIONS, ...variant });
        t.is(log.recovery.sealedScanned, 0, `${where}: every sealed segment had a trailer to trust`);
        t.true(log.nextOffset >= acked, `${where}: ${log.nextOffset} records after ${acked} acknowledged`);
        const next = log.nextOffset;
        await log.append(payloadOf(next));
        await log.close();
        const again = await openLog({ dir: DIR, io, ...OPTIONS, ...variant });
        t.is(again.nextOffset, next + 1, where);
        t.is(again.recovery.sealedScanned, 0, where);
        await again.close();
        const { payloads } = await readLog(io, DIR);
        for (let i = 0; i < acked; i++) t.deepEqual(payloads[i], payloadOf(i), `${where}: record ${i}`);
        checked++;
      }
    }
    t.log(`${checked} crash points over ${whole.calls} calls and ${whole.rolls} rolls`);
  });
}
