/**
 * One job: keep a bounded set of read-only segment handles open, and never close one under a read.
 *
 * The LRU decides which handle to drop; a lease count decides when it may really close. A handle
 * evicted while a read is using it is closed when that read finishes, so a busy reader never sees
 * EBADF. Opening is shared: concurrent first reads of one segment open it once.
 */
import { LRUCache } from 'lru-cache';
import { SeglogError, type FileHandle, type FileIO } from '@seglog/types';

interface Lease {
  readonly opening: Promise<FileHandle>;
  /** The handle once `opening` resolved (for `openedSync`). */
  opened: FileHandle | null;
  users: number;
  evicted: boolean;
  closeStarted: boolean;
}

export class HandlePool {
  readonly #io: FileIO;
  readonly #leases: LRUCache<string, Lease>;
  readonly #closing = new Set<Promise<void>>();
  #closed = false;

  constructor(io: FileIO, maxHandles: number) {
    this.#io = io;
    this.#leases = new LRUCache<string, Lease>({
      max: maxHandles,
      dispose: (lease) => {
        lease.evicted = true;
        this.#closeIfIdle(lease);
      },
    });
  }

  /** Runs `work` with the open handle of `path`, opening it if needed. */
  async use<T>(path: string, work: (handle: FileHandle) => Promise<T>): Promise<T> {
    if (this.#closed) throw SeglogError.closed('reader');
    const lease = this.#leaseFor(path);
    lease.users++;
    try {
      return await work(await lease.opening);
    } catch (error) {
      // A failed open or read is SEGLOG_IO naming the file (docs/errors.md), never a raw fs error.
      throw error instanceof SeglogError ? error : SeglogError.io('read', path, error);
    } finally {
      lease.users--;
      this.#closeIfIdle(lease);
    }
  }

  /**
   * The open handle of `path` for a synchronous read now (`FileHandle.readSync`), or null when it
   * is not open yet or is being dropped: the caller then goes through `use`. A synchronous read
   * needs no lease, since nothing can close the handle before it returns.
   */
  openedSync(path: string): FileHandle | null {
    if (this.#closed) return null;
    const lease = this.#leases.get(path);
    return lease === undefined || lease.evicted ? null : lease.opened;
  }

  /** Closes every idle handle now and every busy one when its read ends; later `use` calls reject. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#leases.clear();
    await Promise.all([...this.#closing]);
  }

  #leaseFor(path: string): Lease {
    const cached = this.#leases.get(path);
    if (cached !== undefined) return cached;
    const lease: Lease = { opening: this.#io.open(path, 'read'), opened: null, users: 0, evicted: false, closeStarted: false };
    // A failed open must not stay cached, or every later read of the segment would fail too.
    lease.opening.then(
      (handle) => void (lease.opened = handle),
      () => {
        if (this.#leases.peek(path) === lease) this.#leases.delete(path);
      },
    );
    this.#leases.set(path, lease);
    return lease;
  }

  #closeIfIdle(lease: Lease): void {
    if (!lease.evicted || lease.users > 0 || lease.closeStarted) return;
    lease.closeStarted = true;
    // A failed close of a read-only descriptor loses nothing, so it is not worth failing a read for.
    const done = lease.opening.then(
      (handle) => handle.close().catch(() => undefined),
      () => undefined,
    );
    this.#closing.add(done);
    void done.finally(() => this.#closing.delete(done));
  }
}
