// A bounds-checked Avro binary decoder compiled from an avsc Type (the writer schema from the registry).
// avsc's own decoder trusts block counts: a hostile or corrupt map/array count makes it loop for hours
// or allocate gigabytes before it notices the buffer ended. This one rejects a count the remaining bytes
// cannot hold, rejects invalid UTF-8, and yields plain objects with unwrapped unions and logical types
// read as their underlying type (timestamp-millis → number of millis), but timestamp-micros and -nanos read as
// epoch millis too (the contract's unit; src/events/schema-files.ts keeps them visible).
import type { Type } from "avsc";
import { DetectorError } from "../errors/detector-error.ts";
import { FINER_EPOCH_LOGICAL_TYPES } from "./schema-files.ts";

export class AvroBodyError extends DetectorError<{ path: readonly (string | number)[]; reason: "avro_decode_error" | "invalid_utf8" }> {
  constructor(
    message: string,
    path: readonly (string | number)[] = [],
    reason: "avro_decode_error" | "invalid_utf8" = "avro_decode_error",
  ) {
    super(message, { path, reason });
  }
}

interface Cursor {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;
}

type Reader = (c: Cursor) => unknown;

interface CompiledReader {
  read: Reader;
  /** fewest bytes one value can take; bounds block counts */
  readonly minBytes: number;
}

/** Zero-byte items (null, empty records) cannot be bounded by the buffer; cap them instead. */
const MAX_ZERO_BYTE_ITEMS = 10_000;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function truncated(): AvroBodyError {
  return new AvroBodyError("body ends before the value does (truncated)");
}

function readLong(c: Cursor): number {
  const bytes = c.bytes;
  let b = bytes[c.pos++];
  if (b === undefined) throw truncated();
  let n = b & 0x7f;
  let multiplier = 128;
  let count = 1;
  while (b & 0x80) {
    if (++count > 10) throw new AvroBodyError("varint longer than 10 bytes");
    b = bytes[c.pos++];
    if (b === undefined) throw truncated();
    n += (b & 0x7f) * multiplier;
    multiplier *= 128;
  }
  // zig-zag; beyond 2^53 the value is imprecise, and validation rejects it where integers matter
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function readLength(c: Cursor): number {
  const len = readLong(c);
  if (len < 0) throw new AvroBodyError(`negative length ${len}`);
  if (len > c.bytes.length - c.pos) throw truncated();
  return len;
}

function readString(c: Cursor): string {
  const len = readLength(c);
  const start = c.pos;
  const end = start + len;
  c.pos = end;
  const bytes = c.bytes;
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (bytes[i] > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    // short ASCII strings: char codes are faster than a decoder call
    if (len <= 32) {
      let s = "";
      for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
      return s;
    }
    return utf8.decode(bytes.subarray(start, end));
  }
  try {
    return utf8.decode(bytes.subarray(start, end));
  } catch {
    throw new AvroBodyError("string is not valid UTF-8", [], "invalid_utf8");
  }
}

function readBytes(c: Cursor): Uint8Array {
  const len = readLength(c);
  const out = c.bytes.slice(c.pos, c.pos + len);
  c.pos += len;
  return out;
}

function readBlockCount(c: Cursor, itemMinBytes: number, seen: number): number {
  let count = readLong(c);
  if (count < 0) {
    count = -count;
    readLong(c); // block size in bytes, unused
  }
  const bound = itemMinBytes > 0 ? (c.bytes.length - c.pos) / itemMinBytes : MAX_ZERO_BYTE_ITEMS - seen;
  if (count > bound) throw new AvroBodyError(`block count ${count} exceeds what the remaining bytes can hold`);
  return count;
}

function withPath(segment: string | number, e: unknown): unknown {
  if (e instanceof AvroBodyError) return new AvroBodyError(e.message, [segment, ...e.context.path], e.context.reason);
  return e;
}

/** Structural view of avsc Type objects (its typings omit these members). */
interface TypeShape {
  readonly typeName: string;
  readonly fields?: readonly { readonly name: string; readonly type: TypeShape }[];
  readonly types?: readonly TypeShape[];
  readonly itemsType?: TypeShape;
  readonly valuesType?: TypeShape;
  readonly symbols?: readonly string[];
  readonly size?: number;
  readonly underlyingType?: TypeShape;
}

class ReaderCompiler {
  private readonly records = new Map<TypeShape, CompiledReader>();

  compile(type: TypeShape): CompiledReader {
    const name = type.typeName;
    if (name.startsWith("logical:")) {
      if (type.underlyingType === undefined) throw new AvroBodyError(`logical type ${name} without underlying type`);
      const underlying = this.compile(type.underlyingType);
      // epoch micros / nanos (Spark, BigQuery) as the contract's epoch millis, rounded down
      const perMilli = (FINER_EPOCH_LOGICAL_TYPES as Record<string, number>)[name.slice("logical:".length)];
      if (perMilli === undefined || type.underlyingType.typeName !== "long") return underlying;
      return { read: (c) => Math.floor((underlying.read(c) as number) / perMilli), minBytes: underlying.minBytes };
    }
    switch (name) {
      case "null":
        return { read: () => null, minBytes: 0 };
      case "boolean":
        return {
          read: (c) => {
            const b = c.bytes[c.pos++];
            if (b === 0) return false;
            if (b === 1) return true;
            throw b === undefined ? truncated() : new AvroBodyError(`boolean byte must be 0 or 1, got ${b}`);
          },
          minBytes: 1,
        };
      case "int":
        return {
          read: (c) => {
            const n = readLong(c);
            if (n < -2147483648 || n > 2147483647) throw new AvroBodyError(`int out of range: ${n}`);
            return n;
          },
          minBytes: 1,
        };
      case "long":
        return { read: readLong, minBytes: 1 };
      case "float":
        return {
          read: (c) => {
            if (c.pos + 4 > c.bytes.length) throw truncated();
            const v = c.view.getFloat32(c.pos, true);
            c.pos += 4;
            return v;
          },
          minBytes: 4,
        };
      case "double":
        return {
          read: (c) => {
            if (c.pos + 8 > c.bytes.length) throw truncated();
            const v = c.view.getFloat64(c.pos, true);
            c.pos += 8;
            return v;
          },
          minBytes: 8,
        };
      case "string":
        return { read: readString, minBytes: 1 };
      case "bytes":
        return { read: readBytes, minBytes: 1 };
      case "fixed": {
        const size = type.size ?? 0;
        return {
          read: (c) => {
            if (c.pos + size > c.bytes.length) throw truncated();
            const out = c.bytes.slice(c.pos, c.pos + size);
            c.pos += size;
            return out;
          },
          minBytes: size,
        };
      }
      case "enum": {
        const symbols = type.symbols ?? [];
        return {
          read: (c) => {
            const index = readLong(c);
            const symbol = symbols[index];
            if (symbol === undefined) throw new AvroBodyError(`enum index ${index} out of range`);
            return symbol;
          },
          minBytes: 1,
        };
      }
      case "array":
        return this.compileArray(type);
      case "map":
        return this.compileMap(type);
      case "union:unwrapped":
      case "union:wrapped":
        return this.compileUnion(type);
      case "record":
      case "error":
        return this.compileRecord(type);
      default:
        throw new AvroBodyError(`unsupported Avro type ${name}`);
    }
  }

  private compileArray(type: TypeShape): CompiledReader {
    if (type.itemsType === undefined) throw new AvroBodyError("array type without items");
    const items = this.compile(type.itemsType);
    return {
      read: (c) => {
        const out: unknown[] = [];
        let n: number;
        while ((n = readBlockCount(c, items.minBytes, out.length)) !== 0) {
          for (let i = 0; i < n; i++) {
            try {
              out.push(items.read(c));
            } catch (e) {
              throw withPath(out.length, e);
            }
          }
        }
        return out;
      },
      minBytes: 1,
    };
  }

  private compileMap(type: TypeShape): CompiledReader {
    if (type.valuesType === undefined) throw new AvroBodyError("map type without values");
    const values = this.compile(type.valuesType);
    const entryMinBytes = 1 + values.minBytes;
    return {
      read: (c) => {
        const out: Record<string, unknown> = {};
        let seen = 0;
        let n: number;
        while ((n = readBlockCount(c, entryMinBytes, seen)) !== 0) {
          seen += n;
          for (let i = 0; i < n; i++) {
            const key = readString(c);
            let value: unknown;
            try {
              value = values.read(c);
            } catch (e) {
              throw withPath(key, e);
            }
            // "__proto__" as a plain assignment would replace the prototype instead of adding an entry
            if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
            else out[key] = value;
          }
        }
        return out;
      },
      minBytes: 1,
    };
  }

  private compileUnion(type: TypeShape): CompiledReader {
    const branches = (type.types ?? []).map((t) => this.compile(t));
    return {
      read: (c) => {
        const index = readLong(c);
        const branch = branches[index];
        if (branch === undefined) throw new AvroBodyError(`union branch index ${index} out of range`);
        return branch.read(c);
      },
      minBytes: 1,
    };
  }

  private compileRecord(type: TypeShape): CompiledReader {
    const existing = this.records.get(type);
    if (existing !== undefined) return existing;
    // placeholder first: recursive records refer to themselves; a recursive field is at least a union byte
    const compiled: { read: Reader; minBytes: number } = { read: () => undefined, minBytes: 1 };
    this.records.set(type, compiled);
    const fields = (type.fields ?? []).map((f) => ({ name: f.name, reader: this.compile(f.type) }));
    compiled.minBytes = fields.reduce((sum, f) => sum + f.reader.minBytes, 0);
    compiled.read = (c) => {
      const out: Record<string, unknown> = {};
      for (const field of fields) {
        try {
          out[field.name] = field.reader.read(c);
        } catch (e) {
          throw withPath(field.name, e);
        }
      }
      return out;
    };
    return compiled;
  }
}

export type AvroBodyDecoder = (body: Uint8Array) => unknown;

const decoderCache = new WeakMap<Type, AvroBodyDecoder>();
const readerCache = new WeakMap<Type, Reader>();

function readerOf(writerType: Type): Reader {
  let reader = readerCache.get(writerType);
  if (reader === undefined) {
    reader = new ReaderCompiler().compile(writerType as unknown as TypeShape).read;
    readerCache.set(writerType, reader);
  }
  return reader;
}

/**
 * Where the value written with `writerType` that starts at bytes[from] ends (bytes[from, end) is one value):
 * how a container file's block is cut into its records, by the same bounds-checked reader (the value is read
 * and dropped). Throws AvroBodyError as avroBodyDecoder does, but for trailing bytes.
 */
export function avroValueEnd(writerType: Type, bytes: Uint8Array, from: number): number {
  const cursor: Cursor = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos: from };
  readerOf(writerType)(cursor);
  return cursor.pos;
}

/**
 * A decoder of Avro bodies written with `writerType`; cached per Type object. Throws AvroBodyError on
 * malformed bodies (truncated, trailing bytes, bad counts, bad UTF-8) and on unsupported schemas.
 */
export function avroBodyDecoder(writerType: Type): AvroBodyDecoder {
  let decoder = decoderCache.get(writerType);
  if (decoder === undefined) {
    const reader = readerOf(writerType);
    decoder = (body) => {
      const cursor: Cursor = { bytes: body, view: new DataView(body.buffer, body.byteOffset, body.byteLength), pos: 0 };
      const value = reader(cursor);
      if (cursor.pos !== body.length) throw new AvroBodyError(`${body.length - cursor.pos} trailing bytes after the value`);
      return value;
    };
    decoderCache.set(writerType, decoder);
  }
  return decoder;
}
