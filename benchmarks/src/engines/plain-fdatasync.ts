/**
 * One job: the baseline a user would write by hand, one write + one fdatasync per record.
 *
 * One file opened for append; concurrent appenders share it and are serialized through a promise
 * chain, so each record gets its own write and its own fdatasync before its promise resolves. That
 * is what "durable append" costs without group commit. The callback fs API is wrapped by hand, as
 * the simplest hand-written version would be, rather than going through fs/promises' FileHandle.
 */
import { close, fdatasync, fsync, open, write } from 'node:fs';
import { join } from 'node:path';
import { driveAppenders, type AppendTarget, type EngineCounters } from '../lib/drive.js';
import { cellResult, type CellOptions, type CellResult } from '../lib/cell.js';
import { elapsedMicros, LatencyRecorder } from '../lib/latency.js';

const fileName = 'plain.log';

export async function runPlainCell(options: CellOptions): Promise<CellResult> {
  const file = await PlainAppendFile.open(join(options.dir, fileName), options.dir);
  let drive;
  try {
    drive = await driveAppenders(file, options);
  } finally {
    await file.close();
  }
  return cellResult('plain-fdatasync', options, drive, file.counters(), file.fdatasyncLatency.summary());
}

export class PlainAppendFile implements AppendTarget {
  readonly fdatasyncLatency = new LatencyRecorder();
  readonly #fd: number;
  /** The end of the chain; never rejects, so one failed append does not fail every later one. */
  #tail: Promise<unknown> = Promise.resolve();
  #appends = 0;
  #fdatasyncs = 0;

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
    const done = this.#tail.then(() => this.#writeAndSync(payload));
    this.#tail = done.catch(() => undefined);
    return done;
  }

  counters(): EngineCounters {
    return { appends: this.#appends, fdatasyncs: this.#fdatasyncs };
  }

  async close(): Promise<void> {
    await this.#tail;
    await closeFile(this.#fd);
  }

  async #writeAndSync(payload: Uint8Array): Promise<number> {
    let writtenBytes = 0;
    // write(2) may be short; a hand-written log that ignored that would tear records.
    while (writtenBytes < payload.length) {
      writtenBytes += await writeChunk(this.#fd, payload, writtenBytes, payload.length - writtenBytes);
    }
    const startNanos = process.hrtime.bigint();
    await dataSyncFile(this.#fd);
    this.fdatasyncLatency.record(elapsedMicros(startNanos, process.hrtime.bigint()));
    this.#fdatasyncs += 1;
    const index = this.#appends;
    this.#appends += 1;
    return index;
  }
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
