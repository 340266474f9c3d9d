/**
 * One job: a BullMQ backend in another process than the directory's owner. `seglogBackend({
 * socket })` builds these: each Queue, Worker or QueueEvents opens a handle in the owner
 * (server.ts) over one shared local-socket link per factory, and each method call is carried
 * there and answered by the owner's real backend. Only the names (qualifiedName, keys, clientName,
 * ...) are computed here, exactly as the owner computes them.
 *
 * A lost link (the owner exited, was killed or restarts) fails every pending call with BullMQ's
 * `Connection is closed.`, except the blocking waits (waitForJob, readEvents), which return null
 * as on close. The next call connects again and opens every open backend anew on the owner, so
 * Workers and QueueEvents carry on once the owner is back (BullMQ retries a call that failed as a
 * closed connection after its `runRetryDelay`); while the owner is down, calls fail the same way.
 */
import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { encodeFrame, readFrames } from '@seglog/queue';
import { SeglogError } from '@seglog/types';
import { QueueKeys } from 'bullmq';
import type { IQueueBackend, KeyPrefixOptions, KeysMap, QueueBaseOptions } from 'bullmq';
import type { BackendRole } from '../backend.js';
import { closedError } from '../hub.js';
import { clientName, parseNodeKey } from '../identity.js';
import { REMOTE_METHODS } from './server.js';
import { argsToWire, errorFromWire, WIRE_VERSION, writeCorked } from './wire.js';
import type { WireError } from './wire.js';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void; nullOnLoss: boolean };

/** Calls that block until something happens: on a lost link they answer null, as a close does. */
const BLOCKING = new Set(['waitForJob', 'readEvents']);

/**
 * One socket to the owner, shared by every backend of a factory; opened on first use, ended with the
 * last. When the owner goes away (exit, kill, restart) the calls in flight fail (their outcome is
 * unknown: an add may have been made durable), and the next call connects again: every backend
 * still open is opened anew on the owner (same handle, name, options and role) before that call is
 * sent, so a Worker or QueueEvents carries on once the owner is back. Close and disconnect never
 * reconnect.
 */
export class RemoteLink {
  readonly #path: string;
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  readonly #pending = new Map<number, Pending>();
  /** The open frame of every backend still open, by handle: replayed on a new connection. */
  readonly #opens = new Map<number, Record<string, unknown>>();
  #nextId = 1;
  #refs = 0;

  constructor(path: string) {
    this.#path = path;
  }

  newHandle(): number {
    return this.#nextId++;
  }

  async acquire(): Promise<void> {
    this.#refs++;
    try {
      await this.#live();
    } catch (error) {
      this.#refs--;
      throw error;
    }
  }

  release(): void {
    this.#refs--;
    if (this.#refs > 0) return;
    this.#socket?.end();
    this.#socket = undefined;
    this.#connecting = undefined;
  }

  /** Opens a backend on the owner and remembers it, so a new connection opens it again. */
  async open(handle: number, header: Record<string, unknown>): Promise<void> {
    await this.request(header);
    this.#opens.set(handle, header);
  }

  /** Forgets a backend (it was closed). */
  forget(handle: number): void {
    this.#opens.delete(handle);
  }

  /**
   * Sends one request; resolves with the owner's reply. On a lost link it connects again first,
   * unless `reconnect` is false (close and disconnect), when it answers as `nullOnLoss` says.
   */
  async request(header: Record<string, unknown>, nullOnLoss = false, reconnect = true): Promise<unknown> {
    let socket = this.#socket;
    if (socket === undefined || socket.destroyed) {
      socket = reconnect && this.#refs > 0 ? await this.#live().catch(() => undefined) : undefined;
      if (socket === undefined) {
        if (nullOnLoss) return null;
        throw closedError();
      }
    }
    return this.#send(socket, header, nullOnLoss);
  }

  #send(socket: Socket, header: Record<string, unknown>, nullOnLoss: boolean): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, nullOnLoss });
      writeCorked(socket, encodeFrame({ ...header, id }));
    });
  }

  /** The live socket, connecting (and opening every remembered backend again) if there is none. */
  #live(): Promise<Socket> {
    const socket = this.#socket;
    if (socket !== undefined && !socket.destroyed) return Promise.resolve(socket);
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connect(): Promise<Socket> {
    const socket = connect(this.#path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (error) => reject(SeglogError.io('connect', this.#path, error)));
    });
    readFrames(socket, (frame) => this.#reply(frame.header), () => this.#lost(socket));
    try {
      for (const header of this.#opens.values()) await this.#send(socket, header, false);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    this.#socket = socket;
    return socket;
  }

  #reply(header: Readonly<Record<string, unknown>>): void {
    const id = Number(header['id']);
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    const error = header['e'] as WireError | undefined;
    if (error === undefined) pending.resolve(header['r']);
    else pending.reject(errorFromWire(error));
  }

  #lost(socket: Socket): void {
    if (this.#socket === socket) this.#socket = undefined;
    for (const pending of this.#pending.values()) {
      if (pending.nullOnLoss) pending.resolve(null);
      else pending.reject(closedError());
    }
    this.#pending.clear();
  }
}

/** The methods carried to the owner; installed on the prototype below. */
type Carried = Omit<IQueueBackend, 'waitUntilReady' | 'close' | 'closing' | 'forQueue' | 'qualifiedName' | 'keys' | 'toKey'
  | 'parseNodeKey' | 'clientName' | 'minimumBlockTimeout' | 'maximumBlockTimeout' | keyof EventEmitter>;

// The class below gets every carried method at run time (installCarriedMethods); this tells the compiler.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface RemoteQueueBackend extends Carried {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class RemoteQueueBackend extends EventEmitter {
  readonly #link: RemoteLink;
  readonly #handle: number;
  readonly #name: string;
  readonly #prefix: string;
  readonly #opts: QueueBaseOptions;
  readonly #owns: boolean;
  readonly #keys: KeysMap;
  readonly #ready: Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(link: RemoteLink, name: string, opts: QueueBaseOptions, role: BackendRole, owns = true) {
    super();
    this.#link = link;
    this.#handle = link.newHandle();
    this.#name = name;
    this.#prefix = (opts as KeyPrefixOptions).prefix ?? 'bull';
    this.#opts = opts;
    this.#owns = owns;
    this.#keys = new QueueKeys(this.#prefix).getKeys(name);
    this.#ready = this.#open(role);
    this.#ready.catch((error: unknown) => this.emit('error', error));
  }

  waitUntilReady(): Promise<void> {
    return this.#ready;
  }

  get closing(): Promise<void> | undefined {
    return this.#closing;
  }

  close(force?: boolean): Promise<void> {
    this.#closing ??= this.#shutdown('close', force);
    return this.#closing;
  }

  disconnect(): Promise<void> {
    this.#closing ??= this.#shutdown('disconnect');
    return this.#closing;
  }

  get minimumBlockTimeout(): number {
    return 0.001;
  }

  get maximumBlockTimeout(): number {
    return 3600;
  }

  forQueue(queueName: string, prefix?: string): IQueueBackend {
    const opts: QueueBaseOptions & KeyPrefixOptions = { ...this.#opts, prefix: prefix ?? this.#prefix };
    return new RemoteQueueBackend(this.#link, queueName, opts, {}, false);
  }

  get qualifiedName(): string {
    return `${this.#prefix}:${this.#name}`;
  }

  get keys(): KeysMap {
    return this.#keys;
  }

  toKey(type: string): string {
    return `${this.qualifiedName}:${type}`;
  }

  parseNodeKey(key: string): { prefix: string; queueName: string; id: string } {
    return parseNodeKey(key);
  }

  clientName(suffix = ''): string {
    return clientName(this.#prefix, this.#name, suffix);
  }

  /** @internal One call carried to the owner's backend for this handle. */
  async carry(method: string, args: unknown[]): Promise<unknown> {
    const blocking = BLOCKING.has(method);
    if (this.#closing !== undefined && this.#owns) {
      if (blocking) return null;
      throw closedError();
    }
    await this.#ready;
    return this.#link.request({ op: 'call', h: this.#handle, m: method, ...argsToWire(args, method) }, blocking);
  }

  async #open(role: BackendRole): Promise<void> {
    // A forQueue backend rides on its parent's link reference (BullMQ never closes those).
    if (this.#owns) await this.#link.acquire();
    const opts: Record<string, unknown> = { ...this.#opts };
    // The connection placeholder and telemetry are this process's objects; the owner ignores them anyway.
    delete opts['connection'];
    delete opts['telemetry'];
    await this.#link.open(this.#handle, { op: 'open', v: WIRE_VERSION, h: this.#handle, name: this.#name, opts, role, owns: this.#owns });
    setImmediate(() => this.emit('ready'));
  }

  async #shutdown(method: 'close' | 'disconnect', force?: boolean): Promise<void> {
    try {
      await this.#ready;
      this.#link.forget(this.#handle);
      const args = method === 'close' ? [force === true] : [];
      await this.#link.request({ op: 'call', h: this.#handle, m: method, a: args }, true, false);
    } catch {
      // A link already lost: the owner closed this backend when it saw the link end.
    } finally {
      if (this.#owns) {
        this.#link.release();
        this.emit('close');
      }
    }
  }
}

function installCarriedMethods(): void {
  for (const method of REMOTE_METHODS) {
    if (method === 'close' || method === 'disconnect') continue;
    Object.defineProperty(RemoteQueueBackend.prototype, method, {
      configurable: true,
      writable: true,
      value(this: RemoteQueueBackend, ...args: unknown[]): Promise<unknown> {
        return this.carry(method, args);
      },
    });
  }
}

installCarriedMethods();
