/**
 * One job: measure what a cell's measured window cost beyond throughput: CPU time (this process
 * and any server process the engine talks to) and what reached the block device.
 *
 * CPU comes from `process.cpuUsage()` (every thread of this process: libuv's pool, LMDB's and
 * LevelDB's own threads) plus utime+stime of each server pid from /proc/<pid>/stat, so a client
 * that hands its work to Redis does not look free. Device figures come from /sys/dev/block/<dev>/stat
 * of the disk behind the engine's directory: sectors written, write requests and flush requests.
 * They count every process on the machine, so on a shared machine they are an upper bound; they
 * are kept because they include what no syscall count shows (the file system journal, the kernel
 * writing back a whole 4 KiB page for a 128-byte record). /proc/<pid>/io is not used: on this
 * kernel it charges a whole large folio (up to 1 MiB) per dirtied page.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import type { WindowProbe } from './drive.js';

export interface WindowCost {
  /** user + system CPU of this process over the window, µs. */
  readonly selfCpuMicros: number;
  /** Of selfCpuMicros, the part spent in the kernel (syscalls, page cache, flush). */
  readonly selfSystemMicros: number;
  /** user + system CPU of the server processes over the window, µs (10 ms tick resolution). */
  readonly serverCpuMicros: number;
  /** null when the device's stat file could not be read. */
  readonly device: DeviceDelta | null;
}

export interface DeviceDelta {
  readonly name: string;
  readonly writeBytes: number;
  readonly writeRequests: number;
  /** Flush (cache-drain) requests that reached the device; null on kernels that do not report them. */
  readonly flushRequests: number | null;
}

interface DeviceSample {
  readonly writeSectors: number;
  readonly writeRequests: number;
  readonly flushRequests: number | null;
}

let clockTicksPerSecond: number | null = null;

function ticksPerSecond(): number {
  if (clockTicksPerSecond === null) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/** utime + stime of a process, µs; 0 once it is gone. */
export function processCpuMicros(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields restart after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks / ticksPerSecond()) * 1e6;
  } catch {
    return 0;
  }
}

/** The /sys stat file of the block device holding `dir`, or null off Linux. */
export function deviceStatPath(dir: string): string | null {
  try {
    const dev = statSync(dir).dev;
    const major = Math.floor(dev / 256) & 0xfff;
    const minor = (dev & 0xff) | ((Math.floor(dev / 4096) & 0xfff00));
    const path = `/sys/dev/block/${major}:${minor}/stat`;
    readFileSync(path, 'utf8');
    return path;
  } catch {
    return null;
  }
}

function sampleDevice(path: string | null): DeviceSample | null {
  if (path === null) return null;
  try {
    const fields = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    return {
      writeRequests: fields[4] ?? 0,
      writeSectors: fields[6] ?? 0,
      flushRequests: fields.length > 15 ? (fields[15] ?? 0) : null,
    };
  } catch {
    return null;
  }
}

export class CostProbe implements WindowProbe {
  readonly #statPath: string | null;
  readonly #serverPids: () => readonly number[];
  #cpuStart: NodeJS.CpuUsage | null = null;
  #selfCpuMicros = 0;
  #selfSystemMicros = 0;
  #serverStart = 0;
  #serverCpuMicros = 0;
  #deviceStart: DeviceSample | null = null;
  #device: DeviceDelta | null = null;

  constructor(dir: string, serverPids: () => readonly number[]) {
    this.#statPath = deviceStatPath(dir);
    this.#serverPids = serverPids;
  }

  open(): void {
    this.#cpuStart = process.cpuUsage();
    this.#serverStart = this.#serverCpu();
    this.#deviceStart = sampleDevice(this.#statPath);
  }

  close(): void {
    const cpu = process.cpuUsage(this.#cpuStart ?? undefined);
    this.#selfCpuMicros = cpu.user + cpu.system;
    this.#selfSystemMicros = cpu.system;
    this.#serverCpuMicros = this.#serverCpu() - this.#serverStart;
    const end = sampleDevice(this.#statPath);
    const start = this.#deviceStart;
    if (end !== null && start !== null && this.#statPath !== null) {
      this.#device = {
        name: this.#statPath,
        writeBytes: (end.writeSectors - start.writeSectors) * 512,
        writeRequests: end.writeRequests - start.writeRequests,
        flushRequests:
          end.flushRequests === null || start.flushRequests === null ? null : end.flushRequests - start.flushRequests,
      };
    }
  }

  result(): WindowCost {
    return {
      selfCpuMicros: this.#selfCpuMicros,
      selfSystemMicros: this.#selfSystemMicros,
      serverCpuMicros: this.#serverCpuMicros,
      device: this.#device,
    };
  }

  #serverCpu(): number {
    return this.#serverPids().reduce((sum, pid) => sum + processCpuMicros(pid), 0);
  }
}
