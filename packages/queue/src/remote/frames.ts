/**
 * One job: the frames of the local-socket protocol between a queue's owner and its remote workers.
 * A frame: u32 LE length of the rest, u32 LE length of a JSON header, the header, then raw bytes
 * (a message payload, or nothing). `FrameReader` cuts a byte stream back into frames, however the
 * stream was split into chunks.
 */
import { SeglogError } from '@seglog/types';

/** A frame larger than this is refused: a corrupt length must not make the reader buffer for ever. */
export const frameBytesMax = 64 * 1024 * 1024;

export interface Frame {
  readonly header: Readonly<Record<string, unknown>>;
  readonly body: Uint8Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

export function encodeFrame(header: Readonly<Record<string, unknown>>, body: Uint8Array = EMPTY): Uint8Array {
  const json = encoder.encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.byteLength + body.byteLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 4 + json.byteLength + body.byteLength, true);
  view.setUint32(4, json.byteLength, true);
  bytes.set(json, 8);
  bytes.set(body, 8 + json.byteLength);
  return bytes;
}

export class FrameReader {
  #pending: Uint8Array = EMPTY;

  /** Adds `chunk` and returns every frame now complete, in order. */
  push(chunk: Uint8Array): Frame[] {
    this.#pending = this.#pending.byteLength === 0 ? chunk : concat(this.#pending, chunk);
    const frames: Frame[] = [];
    let at = 0;
    while (this.#pending.byteLength - at >= 4) {
      const view = new DataView(this.#pending.buffer, this.#pending.byteOffset + at);
      const length = view.getUint32(0, true);
      if (length < 4 || length > frameBytesMax) throw SeglogError.corrupt(`queue socket frame of ${length} bytes`, {});
      if (this.#pending.byteLength - at < 4 + length) break;
      const headerBytes = view.getUint32(4, true);
      if (headerBytes > length - 4) throw SeglogError.corrupt('queue socket frame header longer than its frame', {});
      const start = at + 8;
      const header = JSON.parse(decoder.decode(this.#pending.subarray(start, start + headerBytes))) as Frame['header'];
      frames.push({ header, body: this.#pending.slice(start + headerBytes, at + 4 + length) });
      at += 4 + length;
    }
    this.#pending = this.#pending.subarray(at);
    return frames;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a, 0);
  joined.set(b, a.byteLength);
  return joined;
}

/** A coded error as it crosses the socket, and back. */
export function errorToWire(error: unknown): { code: string; message: string } {
  if (error instanceof SeglogError) return { code: error.code, message: error.message };
  return { code: 'SEGLOG_IO', message: error instanceof Error ? error.message : String(error) };
}
