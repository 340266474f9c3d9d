/**
 * One job: the I/O engine boundary. The store and reader touch the file system only through
 * these interfaces; `@seglog/io` implements them on node:fs and `@seglog/testkit` implements them
 * as a simulated disk that can lose power. Keep it thin: every method is one system call (or one
 * well-known sequence, named for what it makes durable).
 *
 * Durability contract (what the simulator enforces and the real disk gives):
 * - `writev`/`write` land in a volatile image; `datasync`/`sync` make the file's bytes durable.
 * - A file created or renamed into a directory exists after power loss only once `syncDir` on
 *   that directory has completed.
 */

export type OpenMode =
  /** Read only; the file must exist. */
  | 'read'
  /** Read and write; the file must exist. */
  | 'write'
  /**
   * Read and write; the file must exist; every write is durable when it resolves, as if followed
   * by `datasync` (O_DSYNC). One system call instead of two, for the price of a flush per write.
   */
  | 'write-dsync'
  /** Read and write; create the file, failing with EEXIST if it exists. */
  | 'create'
  /** Read and write; create or truncate to zero. */
  | 'truncate';

export interface FileHandle {
  readonly path: string;
  /** Writes all of `buffers`, in order, starting at `positionBytes`. One system call when possible. */
  writev(buffers: readonly Uint8Array[], positionBytes: number): Promise<void>;
  /** Reads up to `buffer.length` bytes at `positionBytes`; resolves with the count read (0 at EOF). */
  read(buffer: Uint8Array, positionBytes: number): Promise<number>;
  /** fdatasync: the file's data (and the size, if it changed) is durable when this resolves. */
  datasync(): Promise<void>;
  /** fsync: data and all metadata durable. */
  sync(): Promise<void>;
  truncate(lengthBytes: number): Promise<void>;
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
  /**
   * Optional: `read`, done on the calling thread. For small reads the page cache serves, where the
   * thread-pool round trip of `read` costs far more than the read itself: a follower's HEAD read at
   * every wake-up (reader visible-end.ts). It blocks the event loop while it runs, so never for
   * large or cold reads. Throws what `read` rejects with.
   */
  readSync?(buffer: Uint8Array, positionBytes: number): number;
  /**
   * Optional, with `readSync`: false once the file has no name left (unlinked, or replaced by a
   * rename over it): a descriptor kept open then reads a file nobody writes any more. Synchronous
   * (one fstat).
   */
  isLinkedSync?(): boolean;
}

export interface FileStat {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly sizeBytes: number;
  /**
   * Optional: wall-clock ms of the last change to the file's data (mtime). Retention falls back to
   * it for the age of a segment without append times (format v1); an engine without it leaves it out.
   */
  readonly modifiedMs?: number;
}

/** A held single-writer lock on a directory. */
export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

/**
 * Permission bits for what the store creates (before the umask). A log holds user data, so the
 * defaults are private, as etcd and PostgreSQL make theirs: see `limits.fileModeDefault`.
 */
export interface CreateModes {
  /** Mode of a file an `open` creates; an existing file keeps its mode. */
  readonly fileMode?: number;
}

export interface FileIO {
  /**
   * Every mode but 'read' refuses to follow a symbolic link at `path` (O_NOFOLLOW, ELOOP): a link
   * planted in the log directory must never make seglog write (or truncate) the file it points to.
   */
  open(path: string, mode: OpenMode, modes?: CreateModes): Promise<FileHandle>;
  /** Creates the directory and its parents if missing, each with `dirMode` (before the umask). */
  mkdirp(dir: string, dirMode?: number): Promise<void>;
  /** File names (not paths) in `dir`, unsorted. */
  readdir(dir: string): Promise<string[]>;
  /** Resolves null when nothing is at `path`. */
  stat(path: string): Promise<FileStat | null>;
  /** Atomically replaces `target` with `source`. Durable after `syncDir`. */
  rename(source: string, target: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** fsync of a directory: makes creations, renames and unlinks in it durable. */
  syncDir(dir: string): Promise<void>;
  /**
   * Takes the single-writer lock of `dir`, or rejects with SEGLOG_LOCKED naming the holder.
   * A lock left behind by a process that is gone (crash, power cut, reboot) never blocks.
   */
  lock(dir: string, modes?: CreateModes): Promise<DirLock>;
  /**
   * Optional: calls `onChange` when something in `dir` may have changed (a write reached the page
   * cache, a name was created, renamed or removed). A hint only, never a fact: events fire before
   * data is durable, may be coalesced or lost (inotify overflow, NFS, some container mounts), so a
   * caller re-reads what it relies on and keeps a poll as the safety net. Returns null when `dir`
   * cannot be watched here; the watch stops by itself on an error.
   */
  watch?(dir: string, onChange: () => void): DirWatch | null;
  /**
   * Optional, for the writer (the lock holder only): the push wake-up. Listens on a unix socket at
   * `path`, replacing a socket file a crashed writer left there. Resolves null when no socket can
   * be made here (a path too long for sun_path, a file system without sockets): followers then
   * rely on their watch and poll. Never rejects. The socket gets `modes.fileMode` like every file
   * of the log; connecting needs write permission on it, so a follower that may only read the
   * log's files (a group-readable 0640 log) keeps its watch and poll.
   */
  notifyListen?(path: string, modes?: CreateModes): Promise<NotifyPublisher | null>;
  /**
   * Optional, for a follower: connects to the writer's socket at `path`. `onHint` runs at each
   * poke (a hint: re-read what you rely on), `onEnd` once when the connection fails or ends (no
   * writer, a stale file, the writer closed or died). Never throws.
   */
  notifySubscribe?(path: string, onHint: () => void, onEnd: () => void): NotifySubscription;
}

/** A running directory watch; `close` is idempotent. */
export interface DirWatch {
  close(): void;
}

/** The writer's end of the push wake-up. */
export interface NotifyPublisher {
  /** Followers connected now. */
  readonly subscribers: number;
  /** Wakes every follower; never blocks, never queues more than one poke per follower. */
  poke(): void;
  /** Disconnects the followers and removes the socket file; idempotent. */
  close(): Promise<void>;
}

/** A follower's connection to the writer's socket; `close` is idempotent and calls no `onEnd`. */
export interface NotifySubscription {
  close(): void;
}

/** Monotonic time, and optionally wall-clock time, injectable so simulations can replay. */
export interface Clock {
  /** Monotonic microseconds (fractional allowed). */
  nowMicros(): number;
  /**
   * Wall-clock milliseconds since the epoch, stamped into each batch as its append time (format
   * v2). `Date.now()` when absent; a replay that must be byte-exact injects a fixed one.
   */
  wallMillis?(): number;
}
