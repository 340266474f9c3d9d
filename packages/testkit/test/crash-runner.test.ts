/**
 * The crash runner drives any system that fits crash-target.ts, not only the store (whose own run
 * is packages/store/test/crash.sim.test.ts). Here it drives a toy log kept in one file: records
 * framed as [length u32][crc32c u32][payload], appended one durable write at a time, the torn tail
 * cut off at open. The runner must find nothing wrong with it, cover crashes, and replay a seed.
 * This file is also the smallest example of a CrashSystem.
 */
import test from 'ava';
import { crc32c } from '@seglog/format';
import { SeglogError } from '@seglog/types';
import type { FileHandle, FileIO } from '@seglog/types';
import { runCrashCase, seedFromEnv } from '../src/index.js';
import type { CrashCase, CrashSystem, CrashTarget, Prng } from '../src/index.js';

const PATH = '/data/toy.log';
const FRAME_BYTES = 8;

async function io<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw SeglogError.io(operation, PATH, error);
  }
}

/** The valid records at the start of `bytes`, and where they end. */
function parse(bytes: Uint8Array): { payloads: Uint8Array[]; endBytes: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const payloads: Uint8Array[] = [];
  let at = 0;
  while (at + FRAME_BYTES <= bytes.length) {
    const length = view.getUint32(at, true);
    if (at + FRAME_BYTES + length > bytes.length) break;
    const payload = bytes.slice(at + FRAME_BYTES, at + FRAME_BYTES + length);
    if (crc32c(payload, length) !== view.getUint32(at + 4, true)) break;
    payloads.push(payload);
    at += FRAME_BYTES + length;
  }
  return { payloads, endBytes: at };
}

function frame(payloads: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(payloads.reduce((sum, payload) => sum + FRAME_BYTES + payload.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const payload of payloads) {
    view.setUint32(at, payload.length, true);
    view.setUint32(at + 4, crc32c(payload, payload.length), true);
    out.set(payload, at + FRAME_BYTES);
    at += FRAME_BYTES + payload.length;
  }
  return out;
}

async function readFile(fileIo: FileIO): Promise<Uint8Array> {
  if ((await fileIo.stat(PATH)) === null) return new Uint8Array(0);
  const handle = await fileIo.open(PATH, 'read');
  try {
    const bytes = new Uint8Array(await handle.sizeBytes());
    let filled = 0;
    for (let count = -1; filled < bytes.length && count !== 0; filled += count) {
      count = await handle.read(bytes.subarray(filled), filled);
    }
    return bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

class ToyLog implements CrashTarget {
  readonly recoveredTornTail: boolean;
  nextOffset: number;
  #endBytes: number;
  #tail: Promise<unknown> = Promise.resolve();
  #failure: SeglogError | null = null;
  #closed = false;

  constructor(readonly handle: FileHandle, records: number, endBytes: number, torn: boolean) {
    this.nextOffset = records;
    this.#endBytes = endBytes;
    this.recoveredTornTail = torn;
  }

  static async open(fileIo: FileIO): Promise<ToyLog> {
    const bytes = await io('read', () => readFile(fileIo));
    const { payloads, endBytes } = parse(bytes);
    const created = bytes.length === 0 && (await io('stat', () => fileIo.stat(PATH))) === null;
    const handle = await io('open', () => fileIo.open(PATH, created ? 'create' : 'write'));
    try {
      // Cut the torn tail off for good before anything is appended after it.
      if (endBytes < bytes.length) await io('truncate', () => handle.truncate(endBytes));
      // After a failed fdatasync (fsyncgate) the page cache may show records the disk never got:
      // write them again so this fdatasync really sends them (the bytes are the same).
      if (endBytes > 0) await io('writev', () => handle.writev([bytes.subarray(0, endBytes)], 0));
      await io('fdatasync', () => handle.datasync());
      if (created) await io('fsync', () => fileIo.syncDir('/data'));
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    return new ToyLog(handle, payloads.length, endBytes, endBytes < bytes.length);
  }

  append(payload: Uint8Array): Promise<number> {
    return this.appendMany([payload]);
  }

  appendMany(payloads: readonly Uint8Array[]): Promise<number> {
    if (this.#closed) return Promise.reject(SeglogError.closed('toy log'));
    const first = this.nextOffset;
    this.nextOffset += payloads.length;
    const bytes = frame(payloads);
    const written = this.#tail.then(async () => {
      if (this.#failure !== null) throw this.#failure;
      const at = this.#endBytes;
      this.#endBytes += bytes.length;
      try {
        await io('writev', () => this.handle.writev([bytes], at));
        await io('fdatasync', () => this.handle.datasync());
      } catch (error) {
        this.#failure = error as SeglogError;
        throw error;
      }
      return first;
    });
    this.#tail = written.catch(() => undefined);
    return written;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#tail;
    await this.handle.close().catch(() => undefined);
  }

  filesCreated(): number {
    return 0;
  }
}

const toySystem: CrashSystem = {
  drawCase(prng: Prng): CrashCase {
    return {
      maxRecordBytes: prng.int(16, 600),
      open: (fileIo) => ToyLog.open(fileIo),
      readAll: async (fileIo) => parse(await readFile(fileIo)).payloads,
    };
  },
};

test('the crash runner drives an injected system: a toy one-file log survives every crash, and a case replays', async (t) => {
  const base = seedFromEnv(0x70e);
  let crashPoints = 0;
  let tornTails = 0;
  for (let seed = base; seed < base + 12; seed++) {
    const result = await runCrashCase(seed, toySystem, { faultOps: ['writev', 'datasync'] });
    crashPoints += result.crashPoints;
    tornTails += result.tornTails;
    t.true(result.acks > 0, `seed ${seed} acknowledged appends`);
  }
  t.true(crashPoints >= 24, `${crashPoints} crash points`);
  t.true(tornTails > 0, 'some opens cut a torn tail');
  t.deepEqual(await runCrashCase(base, toySystem), await runCrashCase(base, toySystem));
});

/** A ToyLog that acknowledges at once: the write and flush happen later, if at all. */
function careless(log: ToyLog): CrashTarget {
  const later = (written: Promise<number>): void => void written.catch(() => undefined);
  return {
    get nextOffset() {
      return log.nextOffset;
    },
    recoveredTornTail: log.recoveredTornTail,
    filesCreated: () => 0,
    close: () => log.close(),
    append: (payload) => {
      later(log.append(payload));
      return Promise.resolve(log.nextOffset - 1);
    },
    appendMany: (payloads) => {
      later(log.appendMany(payloads));
      return Promise.resolve(log.nextOffset - payloads.length);
    },
  };
}

test('the crash runner catches a system that acknowledges before the data is durable', async (t) => {
  const carelessSystem: CrashSystem = {
    drawCase(prng: Prng, seed: number): CrashCase {
      const kase = toySystem.drawCase(prng, seed);
      return { ...kase, open: async (fileIo) => careless(await ToyLog.open(fileIo)) };
    },
  };
  let caught = 0;
  for (let seed = 1; seed <= 10; seed++) {
    await runCrashCase(seed, carelessSystem, { faultOps: [] }).catch((error: Error) => {
      t.regex(error.message, /reproduce with SEGLOG_SEED=\d+/);
      caught++;
    });
  }
  t.true(caught > 0, 'lost acknowledged records were reported');
});
