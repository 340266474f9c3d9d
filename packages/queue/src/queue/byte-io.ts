/**
 * One job: little-endian bytes written and read field by field, for the queue's binary records
 * (record-binary.ts) and snapshots (snapshot-binary.ts). Offsets and times are f64, which holds
 * every safe integer exactly; counts and attempts u32; strings a u32 UTF-8 length and the bytes.
 * A read past the end throws (a RangeError from DataView, or `ByteReader.string`'s own): the
 * callers turn that into SEGLOG_CORRUPT naming what they were reading.
 */
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A growable buffer; `reserve` before each group of writes. */
export class ByteWriter {
  bytes: Uint8Array;
  view: DataView;
  at = 0;

  constructor(initialBytes: number) {
    this.bytes = new Uint8Array(initialBytes);
    this.view = new DataView(this.bytes.buffer);
  }

  reserve(more: number): void {
    if (this.at + more <= this.bytes.byteLength) return;
    const grown = new Uint8Array(Math.max(this.bytes.byteLength * 2, this.at + more));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.bytes[this.at++] = value;
  }

  u32(value: number): void {
    this.view.setUint32(this.at, value, true);
    this.at += 4;
  }

  f64(value: number): void {
    this.view.setFloat64(this.at, value, true);
    this.at += 8;
  }

  /** u32 byte length, then the UTF-8 bytes (reserves what it needs). */
  string(value: string): void {
    this.reserve(4 + 3 * value.length);
    const { written } = encoder.encodeInto(value, this.bytes.subarray(this.at + 4));
    this.u32(written);
    this.at += written;
  }

  /** What was written, as a view of the buffer (copy it before the next use of the writer). */
  written(): Uint8Array {
    return this.bytes.subarray(0, this.at);
  }
}

export class ByteReader {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  at: number;

  constructor(bytes: Uint8Array, at = 0) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.at = at;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.at;
  }

  u8(): number {
    return this.#view.getUint8(this.at++);
  }

  u32(): number {
    const value = this.#view.getUint32(this.at, true);
    this.at += 4;
    return value;
  }

  f64(): number {
    const value = this.#view.getFloat64(this.at, true);
    this.at += 8;
    return value;
  }

  string(): string {
    const length = this.u32();
    if (length > this.remaining) throw new RangeError(`a string of ${length} bytes runs past the end`);
    const value = decoder.decode(this.bytes.subarray(this.at, this.at + length));
    this.at += length;
    return value;
  }
}
