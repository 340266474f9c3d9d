/**
 * One job: count what an engine asked the kernel to write and flush, from the per-call lines of
 * `strace -f -ttt -y -s 0 -o <file>`, optionally only the calls made inside a time window.
 *
 * Each call line names its fd's target (-y): a path for files, `socket:[…]` for sockets,
 * `anon_inode:[eventfd]` for libuv's thread-pool wake-ups, `pipe:[…]`. Calls are sorted into
 * files, sockets and other (wake-ups, pipes, terminals), and the bytes that write-family calls
 * returned are summed per class. With -f, a call that blocks while another thread runs is split:
 *
 *   4242  1764138120.123456 fdatasync(21</tmp/x/00.seg> <unfinished ...>
 *   4242  1764138120.123789 <... fdatasync resumed>) = 0
 *
 * so the first line is counted (and its time decides whether it is inside the window) and the
 * resumed line supplies the return value.
 *
 * A write to a file opened with O_DSYNC or O_SYNC is a flush as well as a write (seglog's default
 * `syncMethod: 'open_datasync'` makes each batch durable that way, with no fdatasync call). So
 * opens are traced too, whatever the window: a write on a path last opened for writing with one
 * of those flags also counts as a flush (`dsyncWrites`), and is still one system call.
 */

export const writeSyscalls = ['write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'sendto', 'sendmsg', 'sendmmsg'] as const;
export const syncSyscalls = ['fsync', 'fdatasync', 'msync', 'sync_file_range', 'syncfs', 'sync'] as const;
export const openSyscalls = ['open', 'openat'] as const;
export const tracedSyscalls: readonly string[] = [...writeSyscalls, ...syncSyscalls, ...openSyscalls];

export type TargetClass = 'file' | 'socket' | 'other';

export interface CallCounts {
  /** `${syscall}:${class}` -> calls. */
  readonly calls: Record<string, number>;
  /** Bytes returned by write-family calls, per target class. */
  readonly writtenBytes: Record<TargetClass, number>;
  /** Write-family calls on files and sockets: the I/O an engine asked for (wake-ups excluded). */
  readonly ioWrites: number;
  /** Flushes: sync-family calls (any target; msync has no fd) plus `dsyncWrites`. */
  readonly syncs: number;
  /** Of `syncs`, the sync-family system calls. */
  readonly syncCalls: number;
  /** Write-family calls on files opened with O_DSYNC or O_SYNC: each is also a flush. */
  readonly dsyncWrites: number;
  /** Every traced call, wake-ups included. */
  readonly allCalls: number;
}

const startLine = /^(\d+)\s+(?:(\d+\.\d+)\s+)?([a-z0-9_]+)\((?:(\d+)<([^>]*)>)?(.*)$/;
const resumedLine = /^(\d+)\s+(?:\d+\.\d+\s+)?<\.\.\. ([a-z0-9_]+) resumed>.*\)\s+=\s+(-?\d+)/;

/** Epoch microseconds, inclusive start, exclusive end. */
export interface TimeWindow {
  readonly startMicros: number;
  readonly endMicros: number;
}
const returnValue = /\)\s+=\s+(-?\d+)(?:\s|$)/;

const writeSet: ReadonlySet<string> = new Set(writeSyscalls);
const syncSet: ReadonlySet<string> = new Set(syncSyscalls);
const openSet: ReadonlySet<string> = new Set(openSyscalls);
/** The path an fd-returning call gave, from -y: `= 18</tmp/x/0.seg>`. */
const returnedPath = /=\s+\d+<([^>]*)>/;

/**
 * Keeps which file paths are open for synchronous writes: a writable open with O_DSYNC/O_SYNC
 * marks its path, a writable open without them unmarks it (read-only opens change nothing).
 */
class SyncOpenPaths {
  readonly #paths = new Set<string>();
  /** pid -> flags of its unfinished open. */
  readonly #pending = new Map<string, string>();

  start(pid: string, rest: string): void {
    if (rest.includes('<unfinished ...>')) this.#pending.set(pid, rest);
    else this.#note(rest, rest);
  }

  resumed(pid: string, line: string): void {
    const flags = this.#pending.get(pid);
    this.#pending.delete(pid);
    if (flags !== undefined) this.#note(flags, line);
  }

  has(path: string | undefined): boolean {
    return path !== undefined && this.#paths.has(path);
  }

  #note(flags: string, result: string): void {
    const path = returnedPath.exec(result)?.[1];
    if (path === undefined || !/O_RDWR|O_WRONLY/.test(flags)) return;
    if (/O_DSYNC|O_SYNC/.test(flags)) this.#paths.add(path);
    else this.#paths.delete(path);
  }
}

export function classifyTarget(target: string | undefined): TargetClass {
  if (target === undefined) return 'other';
  if (target.startsWith('socket:') || target.startsWith('TCP') || target.startsWith('UNIX')) return 'socket';
  if (target.startsWith('/') && !target.startsWith('/dev/')) return 'file';
  return 'other';
}

export function countCalls(text: string, window?: TimeWindow): CallCounts {
  const calls: Record<string, number> = {};
  const writtenBytes: Record<TargetClass, number> = { file: 0, socket: 0, other: 0 };
  const pending = new Map<string, TargetClass>();
  const syncOpen = new SyncOpenPaths();
  let ioWrites = 0;
  let syncCalls = 0;
  let dsyncWrites = 0;
  let allCalls = 0;
  const addBytes = (syscall: string, target: TargetClass, value: number): void => {
    if (writeSet.has(syscall) && value > 0) writtenBytes[target] += value;
  };
  for (const line of text.split('\n')) {
    const resumed = resumedLine.exec(line);
    if (resumed !== null) {
      const [, pid = '', syscall = '', value = '0'] = resumed;
      if (openSet.has(syscall)) {
        syncOpen.resumed(pid, line);
        continue;
      }
      const target = pending.get(pid);
      pending.delete(pid);
      if (target !== undefined) addBytes(syscall, target, Number(value));
      continue;
    }
    const start = startLine.exec(line);
    if (start === null) continue;
    const [, pid = '', time, syscall = '', , targetText, rest = ''] = start;
    if (openSet.has(syscall)) {
      syncOpen.start(pid, rest);
      continue;
    }
    if (!writeSet.has(syscall) && !syncSet.has(syscall)) continue;
    if (window !== undefined && !inside(window, time)) continue;
    const target = classifyTarget(targetText);
    allCalls += 1;
    calls[`${syscall}:${target}`] = (calls[`${syscall}:${target}`] ?? 0) + 1;
    if (syncSet.has(syscall)) syncCalls += 1;
    else if (target !== 'other') {
      ioWrites += 1;
      if (target === 'file' && syncOpen.has(targetText)) dsyncWrites += 1;
    }
    if (rest.includes('<unfinished ...>')) {
      pending.set(pid, target);
      continue;
    }
    const value = returnValue.exec(rest);
    if (value !== null) addBytes(syscall, target, Number(value[1]));
  }
  return { calls, writtenBytes, ioWrites, syncs: syncCalls + dsyncWrites, syncCalls, dsyncWrites, allCalls };
}

function inside(window: TimeWindow, time: string | undefined): boolean {
  if (time === undefined) return false;
  const micros = Math.round(Number(time) * 1e6);
  return micros >= window.startMicros && micros < window.endMicros;
}
