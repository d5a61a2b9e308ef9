// Little-endian byte writer/reader shared by the sketch codecs (versioned binary formats).
import { SketchDecodeError } from "./errors.ts";

/** Growable little-endian byte writer. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;
  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(Math.max(initialCapacity, 16));
    this.view = new DataView(this.buf.buffer);
  }
  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf);
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }
  u24(v: number): void {
    this.reserve(3);
    this.buf[this.pos++] = v & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
  }
  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
  /** Unsigned LEB128 of a safe non-negative integer (arithmetic, not 32-bit bit ops). */
  varint(v: number): void {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`varint needs a safe non-negative integer, got ${v}`);
    this.reserve(8);
    let x = v;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x % 0x80) | 0x80;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.pos++] = x;
  }
  bytes(b: Uint8Array): void;
  bytes(): Uint8Array;
  bytes(b?: Uint8Array): Uint8Array | void {
    if (b === undefined) return this.buf.slice(0, this.pos);
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  string(s: string): void {
    const b = textEncoder.encode(s);
    this.varint(b.length);
    this.bytes(b);
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Bounds-checked little-endian reader that throws SketchDecodeError with context. */
export class ByteReader {
  private pos = 0;
  private readonly view: DataView;
  private version: number | undefined;
  constructor(
    private readonly buf: Uint8Array,
    private readonly kind: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  fail(message: string): never {
    const context = { kind: this.kind, byteLength: this.buf.length };
    throw new SketchDecodeError(
      `${this.kind}: ${message} (at byte ${this.pos} of ${this.buf.length})`,
      this.version === undefined ? context : { ...context, version: this.version },
    );
  }
  remaining(): number {
    return this.buf.length - this.pos;
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) this.fail(`truncated: need ${n} more byte(s), ${this.remaining()} left`);
  }
  u8(): number {
    this.need(1);
    const v = this.buf[this.pos++];
    if (this.version === undefined) this.version = v;
    return v;
  }
  u24(): number {
    this.need(3);
    const v = this.buf[this.pos] | (this.buf[this.pos + 1] << 8) | (this.buf[this.pos + 2] << 16);
    this.pos += 3;
    return v;
  }
  f32(): number {
    this.need(4);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(result)) this.fail("varint exceeds 2^53");
        return result;
      }
      scale *= 0x80;
    }
    return this.fail("varint longer than 8 bytes");
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  string(): string {
    const n = this.varint();
    const b = this.bytes(n);
    try {
      return textDecoder.decode(b);
    } catch {
      return this.fail("invalid UTF-8 string");
    }
  }
  expectEnd(): void {
    if (this.pos !== this.buf.length) this.fail(`${this.remaining()} trailing byte(s)`);
  }
}
