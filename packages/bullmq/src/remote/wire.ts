/**
 * One job: what crosses the socket between a remote backend and the owning process (client.ts,
 * server.ts), on @seglog/queue's frames: a call `{ op: 'call', id, h, m, a }` (handle, method,
 * arguments), an open `{ op: 'open', id, h, name, opts, role, owns, v }`, a reply
 * `{ op: 'reply', id, r }` or `{ op: 'reply', id, e }`. Arguments and results are JSON.
 *
 * BullMQ passes its Job objects to a few methods (moveToCompleted, moveToFailed, updateData,
 * retryFinishedJob); a Job holds its Queue, so only the fields a backend reads cross
 * (`jobFields`). Errors keep their message and code, so BullMQ recognises them as it would the
 * local ones (`Missing lock for job 1. moveToFinished`, `Connection is closed.`, SEGLOG_* codes).
 */
import type { Socket } from 'node:net';
import { isSeglogError, SeglogError } from '@seglog/types';
import type { ErrorCode } from '@seglog/types';
import { BackendClosedError, CONNECTION_CLOSED } from '../hub.js';

/** Bumped when a frame's meaning changes; an owner refuses a client of another version. */
export const WIRE_VERSION = 1;

/** The fields of a BullMQ Job (MinimalJob) the backend reads. */
const jobFields = ['id', 'name', 'data', 'opts', 'timestamp', 'parent', 'parentKey', 'repeatJobKey'] as const;

export interface WireError {
  readonly message: string;
  readonly name: string;
  readonly code?: string | number;
}

/**
 * A call's arguments as JSON-ready values: a class instance (a BullMQ Job) becomes its plain fields.
 * JSON turns an `undefined` argument into null, which would defeat the owner's default parameters:
 * `u` lists those positions so argsFromWire restores them.
 */
export function argsToWire(args: readonly unknown[]): { a: unknown[]; u: number[] } {
  const undefinedAt: number[] = [];
  const a = args.map((arg, index) => {
    if (arg === undefined) undefinedAt.push(index);
    return isInstance(arg) ? pickJob(arg as Record<string, unknown>) : arg;
  });
  return { a, u: undefinedAt };
}

export function argsFromWire(a: unknown, u: unknown): unknown[] {
  const args = Array.isArray(a) ? [...(a as unknown[])] : [];
  if (Array.isArray(u)) for (const index of u as unknown[]) if (typeof index === 'number') args[index] = undefined;
  return args;
}

function isInstance(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto !== Object.prototype && proto !== null;
}

function pickJob(job: Record<string, unknown>): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const field of jobFields) if (job[field] !== undefined) plain[field] = job[field];
  return plain;
}

export function errorToWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { message: String(error), name: 'Error' };
  const code = (error as { code?: unknown }).code;
  const coded = isSeglogError(error) && !(error instanceof BackendClosedError);
  const message = coded ? stripCode(error.message, error.code) : error.message;
  return { message, name: error.name, ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}) };
}

export function errorFromWire(wire: WireError): Error {
  if (wire.message === CONNECTION_CLOSED) return new BackendClosedError();
  if (typeof wire.code === 'string' && wire.code.startsWith('SEGLOG_')) return new SeglogError(wire.code as ErrorCode, wire.message);
  const error = new Error(wire.message) as Error & { code?: string | number };
  error.name = wire.name;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}

function stripCode(message: string, code: string): string {
  return message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
}

/**
 * Writes `frame` with every other frame written before the event loop's next turn: the first write
 * corks the socket and an immediate uncorks it, so a worker's burst of calls (a completion, the
 * lock extensions, the next fetches) or the owner's replies after one durable batch (each answered
 * in its own macrotask, see backend.ts handOver) leave in one writev instead of one write syscall
 * per frame. The cost is at most one turn of the loop of latency per frame.
 */
export function writeCorked(socket: Socket, frame: Uint8Array): void {
  if (socket.writableCorked === 0) {
    socket.cork();
    setImmediate(uncork, socket);
  }
  socket.write(frame);
}

function uncork(socket: Socket): void {
  socket.uncork();
}
