/**
 * One job: a file's bytes as a growable image, and the pending operations that change one.
 *
 * Invariant: every byte of the backing store at or past `sizeBytes` is zero. So a write past the
 * end, or a truncate that grows the file, shows zeros in the gap without any extra work, as a
 * sparse file does.
 */
import { assert } from '@seglog/types';

/** A write that reached the volatile image but not yet the durable one. */
export interface PendingWrite {
  readonly kind: 'write';
  /** Issue order across the whole simulated disk; a sync covers writes issued before it. */
  readonly seq: number;
  readonly positionBytes: number;
  readonly bytes: Uint8Array;
}

/** A size change (ftruncate, or open with 'truncate') not yet durable. */
export interface PendingTruncate {
  readonly kind: 'truncate';
  readonly seq: number;
  readonly lengthBytes: number;
}

export type PendingOp = PendingWrite | PendingTruncate;

const minCapacityBytes = 4096;

export class ByteImage {
  #data: Uint8Array;
  #sizeBytes: number;

  constructor(bytes: Uint8Array = new Uint8Array(0)) {
    this.#data = new Uint8Array(Math.max(minCapacityBytes, bytes.length));
    this.#data.set(bytes);
    this.#sizeBytes = bytes.length;
  }

  get sizeBytes(): number {
    return this.#sizeBytes;
  }

  clone(): ByteImage {
    return new ByteImage(this.#data.subarray(0, this.#sizeBytes));
  }

  /** A copy of the file's bytes. */
  toBytes(): Uint8Array {
    return this.#data.slice(0, this.#sizeBytes);
  }

  write(positionBytes: number, bytes: Uint8Array): void {
    assert(Number.isSafeInteger(positionBytes) && positionBytes >= 0, 'write position is a non-negative integer');
    if (bytes.length === 0) return;
    const endBytes = positionBytes + bytes.length;
    this.#reserve(endBytes);
    this.#data.set(bytes, positionBytes);
    this.#sizeBytes = Math.max(this.#sizeBytes, endBytes);
  }

  truncate(lengthBytes: number): void {
    assert(Number.isSafeInteger(lengthBytes) && lengthBytes >= 0, 'truncate length is a non-negative integer');
    if (lengthBytes < this.#sizeBytes) {
      // Keep the invariant: bytes past the end are zero, so growing again shows zeros.
      this.#data.fill(0, lengthBytes, this.#sizeBytes);
    } else {
      this.#reserve(lengthBytes);
    }
    this.#sizeBytes = lengthBytes;
  }

  /** Copies up to `target.length` bytes from `positionBytes`; 0 at or past the end. */
  read(target: Uint8Array, positionBytes: number): number {
    if (positionBytes >= this.#sizeBytes) return 0;
    const countBytes = Math.min(target.length, this.#sizeBytes - positionBytes);
    target.set(this.#data.subarray(positionBytes, positionBytes + countBytes));
    return countBytes;
  }

  #reserve(capacityBytes: number): void {
    if (capacityBytes <= this.#data.length) return;
    const grown = new Uint8Array(Math.max(capacityBytes, 2 * this.#data.length));
    grown.set(this.#data.subarray(0, this.#sizeBytes));
    this.#data = grown;
  }
}

export function applyOp(image: ByteImage, op: PendingOp): void {
  if (op.kind === 'write') image.write(op.positionBytes, op.bytes);
  else image.truncate(op.lengthBytes);
}

/** One contiguous copy of `buffers`, taken when the call is made, as the kernel copies at the syscall. */
export function concatBytes(buffers: readonly Uint8Array[]): Uint8Array {
  let totalBytes = 0;
  for (const buffer of buffers) totalBytes += buffer.byteLength;
  const out = new Uint8Array(totalBytes);
  let atBytes = 0;
  for (const buffer of buffers) {
    out.set(buffer, atBytes);
    atBytes += buffer.byteLength;
  }
  return out;
}
