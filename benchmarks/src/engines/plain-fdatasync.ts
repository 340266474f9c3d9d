/**
 * One job: the baseline a user would write by hand, one write + one fdatasync per record.
 *
 * One file opened for append; concurrent appenders share it and are serialized through a promise
 * chain, so each record gets its own write and its own fdatasync before its promise resolves. That
 * is what "durable append" costs without group commit. `appendMany` writes the whole batch with one
 * writev and one fdatasync, as a hand-written batch API would. The callback fs API is wrapped by
 * hand, as the simplest hand-written version would be, rather than going through fs/promises.
 */
import { close, fdatasync, fsync, open, write, writev } from 'node:fs';
import { join } from 'node:path';
import type { EngineCounters } from '../lib/drive.js';
import type { EngineDefinition, EngineHandle } from '../lib/cell.js';
import { elapsedMicros, LatencyRecorder, type LatencySummary } from '../lib/latency.js';

const fileName = 'plain.log';

export const plainEngine: EngineDefinition = {
  info: {
    name: 'plain-fdatasync',
    label: 'write + fdatasync per record',
    durable: true,
    durability: 'fdatasync(fd) after every write, before the promise resolves',
  },
  unavailableReason: () => Promise.resolve(null),
  async open(dir: string): Promise<EngineHandle> {
    const file = await PlainAppendFile.open(join(dir, fileName), dir);
    return {
      serverPids: [],
      append: (payload) => file.append(payload),
      appendMany: (payloads) => file.appendMany(payloads),
      counters: () => file.counters(),
      flushMicros: (): LatencySummary => file.fdatasyncLatency.summary(),
      close: () => file.close(),
    };
  },
};

export class PlainAppendFile {
  readonly fdatasyncLatency = new LatencyRecorder();
  readonly #fd: number;
  /** The end of the chain; never rejects, so one failed append does not fail every later one. */
  #tail: Promise<unknown> = Promise.resolve();
  #appends = 0;
  #flushes = 0;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** Opens (creating) the file for append and makes its directory entry durable once, up front. */
  static async open(path: string, dir: string): Promise<PlainAppendFile> {
    const fd = await openFile(path, 'a');
    const dirFd = await openFile(dir, 'r');
    try {
      await syncFile(dirFd);
    } finally {
      await closeFile(dirFd);
    }
    return new PlainAppendFile(fd);
  }

  /** Resolves with the record's index once its bytes are written and fdatasync'd. */
  append(payload: Uint8Array): Promise<number> {
    const done = this.#tail.then(() => this.#writeAndSync([payload]));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  /** Resolves with the first record's index once the whole batch is written and fdatasync'd. */
  appendMany(payloads: readonly Uint8Array[]): Promise<number> {
    const done = this.#tail.then(() => this.#writeAndSync(payloads));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  counters(): EngineCounters {
    return { appends: this.#appends, flushes: this.#flushes };
  }

  async close(): Promise<void> {
    await this.#tail;
    await closeFile(this.#fd);
  }

  async #writeAndSync(payloads: readonly Uint8Array[]): Promise<number> {
    await this.#writeAll(payloads);
    const startNanos = process.hrtime.bigint();
    await dataSyncFile(this.#fd);
    this.fdatasyncLatency.record(elapsedMicros(startNanos, process.hrtime.bigint()));
    this.#flushes += 1;
    const index = this.#appends;
    this.#appends += payloads.length;
    return index;
  }

  async #writeAll(payloads: readonly Uint8Array[]): Promise<void> {
    if (payloads.length > 1) {
      const totalBytes = payloads.reduce((sum, p) => sum + p.length, 0);
      const writtenBytes = await writevChunks(this.#fd, payloads);
      if (writtenBytes === totalBytes) return;
      // A short writev: finish the rest as one buffer (rare; correctness over speed).
      const joined = Buffer.concat(payloads);
      return this.#writeFully(joined, writtenBytes);
    }
    return this.#writeFully(payloads[0]!, 0);
  }

  async #writeFully(payload: Uint8Array, fromBytes: number): Promise<void> {
    let writtenBytes = fromBytes;
    // write(2) may be short; a hand-written log that ignored that would tear records.
    while (writtenBytes < payload.length) {
      writtenBytes += await writeChunk(this.#fd, payload, writtenBytes, payload.length - writtenBytes);
    }
  }
}

function writevChunks(fd: number, payloads: readonly Uint8Array[]): Promise<number> {
  return new Promise((resolve, reject) => {
    writev(fd, payloads as Uint8Array[], (error, written) => (error === null ? resolve(written) : reject(error)));
  });
}

function openFile(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, flags, (error, fd) => (error === null ? resolve(fd) : reject(error)));
  });
}

function writeChunk(fd: number, buffer: Uint8Array, offsetBytes: number, lengthBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    write(fd, buffer, offsetBytes, lengthBytes, null, (error, written) => (error === null ? resolve(written) : reject(error)));
  });
}

function dataSyncFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fdatasync(fd, (error) => (error === null ? resolve() : reject(error)));
  });
}

function syncFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    fsync(fd, (error) => (error === null ? resolve() : reject(error)));
  });
}

function closeFile(fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    close(fd, (error) => (error === null ? resolve() : reject(error)));
  });
}
