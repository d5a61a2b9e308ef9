// JSON read straight from its UTF-8 bytes, for the shape events almost always have: ASCII only, no escapes,
// objects, numbers, strings, booleans and null. On such input every read gives exactly what JSON.parse of the
// text gives (same values, same key order, the last of duplicate keys); on anything else — escapes, non-ASCII
// bytes, arrays, deep nesting, "__proto__", invalid JSON — it gives NOT_SIMPLE and the caller takes the
// general path (TextDecoder + JSON.parse), which also explains what is wrong. It skips decoding the message
// to a string, reads repeated keys and short values (feature names, categories) from a cache instead of
// building them again for every event, and builds each object with one object literal per key sequence.

import { CODE_GENERATION_ALLOWED } from "./code-generation.ts";

export type JsonObject = Record<string, unknown>;

export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** Signals "not the common shape": the caller takes the general path. */
export const NOT_SIMPLE: unique symbol = Symbol("not simple");
export type NotSimple = typeof NOT_SIMPLE;

const MAX_DEPTH = 16;
/** Strings up to this many bytes are kept in the cache (feature names, categories, model ids). */
const CACHED_STRING_BYTES = 48;
const CACHE_SLOTS = 4096;
/** 2^53: decimal mantissas below it are exact doubles. */
const EXACT_MANTISSA = 9007199254740992;
/** 10^0 … 10^22, every one an exact double (Clinger's fast path). */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const EMPTY = new Uint8Array(0);

/** 1 for JSON whitespace. */
export const WHITESPACE = new Uint8Array(256);
WHITESPACE[0x20] = WHITESPACE[0x0a] = WHITESPACE[0x0d] = WHITESPACE[0x09] = 1;
/** 1 for the bytes a string may hold on this path: printable ASCII but the quote and the backslash. */
const PLAIN = new Uint8Array(256);
for (let b = 0x20; b < 0x7f; b++) PLAIN[b] = b === QUOTE || b === BACKSLASH ? 0 : 1;

const TRUE_BYTES = Uint8Array.of(0x74, 0x72, 0x75, 0x65);
const FALSE_BYTES = Uint8Array.of(0x66, 0x61, 0x6c, 0x73, 0x65);
const NULL_BYTES = Uint8Array.of(0x6e, 0x75, 0x6c, 0x6c);

/** Short strings by a hash of their bytes; a slot holds the last string that hashed there. */
const cache: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);

/**
 * Where a sequence of keys leads. Keys repeat in the same order event after event, so each shape remembers
 * the key that last followed it: reading a key is then one comparison of bytes.
 */
export interface Shape {
  next: Map<string, Shape>;
  lastKey: string | undefined;
  lastNext: Shape | undefined;
  /** the bytes of the key that leads here (empty at a root) */
  keyBytes: Uint8Array;
  /** builds an object with the keys that lead here from values[base …] */
  build: ((values: unknown[], base: number) => JsonObject) | undefined;
  /** where the keys of an object that is the value of the key leading here start */
  nested: Shape | undefined;
}

// Bounded, because key sequences come from the input: past it objects are built key by key.
const MAX_SHAPES = 4096;
const MAX_SHAPE_KEYS = 64;
let shapeCount = 0;

export function newShape(keyBytes: Uint8Array = EMPTY): Shape {
  return { next: new Map(), lastKey: undefined, lastNext: undefined, keyBytes, build: undefined, nested: undefined };
}

function followKey(shape: Shape, key: string): Shape | undefined {
  let next = shape.next.get(key);
  if (next === undefined) {
    if (shapeCount >= MAX_SHAPES) return undefined;
    shapeCount++;
    next = newShape(asciiBytes(key));
    shape.next.set(key, next);
  }
  shape.lastKey = key;
  shape.lastNext = next;
  return next;
}

function nestedShape(shape: Shape | undefined): Shape | undefined {
  if (shape === undefined) return undefined;
  if (shape.nested === undefined) {
    if (shapeCount >= MAX_SHAPES) return undefined;
    shapeCount++;
    shape.nested = newShape();
  }
  return shape.nested;
}

/**
 * `(v, b) => ({ "k0": v[b], "k1": v[b + 1], … })`: builds objects with `keys`, in order, from values[base …]: one object literal when code generation is allowed
 * (one hidden class, as JSON.parse makes), else key by key. A "__proto__" key (which only the general path
 * reads) is defined as an own entry, as JSON.parse defines it, never as the prototype.
 */
export function objectBuilder(keys: readonly string[]): (values: unknown[], base: number) => JsonObject {
  if (!CODE_GENERATION_ALLOWED || keys.includes("__proto__")) return keyByKeyConstructor(keys);
  const fields = keys.map((key, i) => `${JSON.stringify(key)}: v[b + ${i}]`);
  return new Function("v", "b", `return { ${fields.join(", ")} };`) as (values: unknown[], base: number) => JsonObject;
}

/** objectBuilder's result where code generation is disallowed: the same keys, in order, one by one. */
function keyByKeyConstructor(keys: readonly string[]): (values: unknown[], base: number) => JsonObject {
  return (values, base) => {
    const object: JsonObject = {};
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      if (key === "__proto__")
        Object.defineProperty(object, key, { value: values[base + i], enumerable: true, writable: true, configurable: true });
      else object[key] = values[base + i];
    }
    return object;
  };
}

/**
 * What the values of an object read by readObject may be: any JSON value but arrays (objects nested up to
 * MAX_DEPTH); a scalar (null, a finite number, a string of at most `maxStringLength` characters, or a
 * boolean); or only such strings.
 */
export type ValueRule = "any" | "scalar" | "string";

/** Bounds on an object's entries; any entry outside them makes it NOT_SIMPLE. */
export interface ObjectRule {
  values: ValueRule;
  maxStringLength: number;
  maxEntries: number;
  keyMinLength: number;
  keyMaxLength: number;
}

const ANY_OBJECT: ObjectRule = {
  values: "any",
  maxStringLength: Number.MAX_SAFE_INTEGER,
  maxEntries: Number.MAX_SAFE_INTEGER,
  keyMinLength: 0,
  keyMaxLength: Number.MAX_SAFE_INTEGER,
};

/**
 * One scanner, reused: the input and the position, and the stacks objects are built from. The input ends at
 * `end`: bytes after it (the next lines of a read buffer) may be read on input that is then not taken, as
 * only the last check, atEnd, stops at `end`, and pos never moves back: what is taken lies before it.
 */
export class JsonScanner {
  bytes: Uint8Array = EMPTY;
  pos = 0;
  end = 0;
  // Objects are built from the keys and values on these stacks once their "}" is read: by a constructor made
  // for their sequence of keys (one object literal, so one hidden class, as JSON.parse does), or key by key.
  // Never shrunk: `top` is the stack height.
  private readonly keys: string[] = [];
  private readonly values: unknown[] = [];
  private top = 0;

  reset(bytes: Uint8Array, pos: number, end: number = bytes.length): void {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
    this.top = 0;
  }

  /** Moves past whitespace before the end; true when the input ends there. */
  atEnd(): boolean {
    const bytes = this.bytes;
    const end = this.end;
    let pos = this.pos;
    while (pos < end && WHITESPACE[bytes[pos]] === 1) pos++;
    this.pos = pos;
    return pos === end;
  }

  skipWhitespace(): void {
    const bytes = this.bytes;
    let pos = this.pos;
    while (WHITESPACE[bytes[pos]] === 1) pos++;
    this.pos = pos;
  }

  /** Expects `byte` after optional whitespace and moves past it and the whitespace after it. */
  expect(byte: number): boolean {
    const bytes = this.bytes;
    if (bytes[this.pos] !== byte) {
      this.skipWhitespace();
      if (bytes[this.pos] !== byte) return false;
    }
    this.pos++;
    if (WHITESPACE[bytes[this.pos]] === 1) this.skipWhitespace();
    return true;
  }

  /** After a member: true past a ",", false past the "}", NOT_SIMPLE for anything else. */
  memberEnd(): boolean | NotSimple {
    const bytes = this.bytes;
    if (WHITESPACE[bytes[this.pos]] === 1) this.skipWhitespace();
    const b = bytes[this.pos++];
    if (b === CLOSE_BRACE) return false;
    if (b !== COMMA) return NOT_SIMPLE;
    if (WHITESPACE[bytes[this.pos]] === 1) this.skipWhitespace();
    return true;
  }

  /**
   * An object (pos at its "{") whose entries keep to `rule`, as JSON.parse builds it; `root` is where its keys
   * start (undefined: built key by key).
   */
  readObject(root: Shape | undefined, rule: ObjectRule = ANY_OBJECT, depth = 0): JsonObject | NotSimple {
    if (depth >= MAX_DEPTH) return NOT_SIMPLE;
    const bytes = this.bytes;
    this.pos++; // "{"
    if (WHITESPACE[bytes[this.pos]] === 1) this.skipWhitespace();
    if (bytes[this.pos] === CLOSE_BRACE) {
      this.pos++;
      return {};
    }
    const base = this.top;
    // the keys so far lead to `shape`
    let shape = root;
    for (;;) {
      if (bytes[this.pos] !== QUOTE) return NOT_SIMPLE;
      let key: string | NotSimple;
      const expected = shape?.lastNext;
      if (expected !== undefined && this.atKey(expected.keyBytes)) {
        key = shape!.lastKey!;
        shape = expected;
      } else {
        key = this.readString();
        if (key === NOT_SIMPLE || key === "__proto__") return NOT_SIMPLE;
        shape = shape === undefined || this.top - base >= MAX_SHAPE_KEYS ? undefined : followKey(shape, key);
      }
      if (this.top - base >= rule.maxEntries || key.length < rule.keyMinLength || key.length > rule.keyMaxLength) return NOT_SIMPLE;
      if (!this.expect(COLON)) return NOT_SIMPLE;
      const value = this.readRuledValue(rule, shape, depth);
      if (value === NOT_SIMPLE) return NOT_SIMPLE;
      this.keys[this.top] = key;
      this.values[this.top] = value;
      this.top++;
      const more = this.memberEnd();
      if (more === NOT_SIMPLE) return NOT_SIMPLE;
      if (!more) break;
    }
    const end = this.top;
    this.top = base;
    if (shape !== undefined) {
      shape.build ??= objectBuilder(this.keys.slice(base, end));
      return shape.build(this.values, base);
    }
    const object: JsonObject = {};
    for (let i = base; i < end; i++) object[this.keys[i]] = this.values[i];
    return object;
  }

  private readRuledValue(rule: ObjectRule, shape: Shape | undefined, depth: number): unknown {
    const b = this.bytes[this.pos];
    if (b === QUOTE) {
      const s = this.readString();
      return s !== NOT_SIMPLE && s.length > rule.maxStringLength ? NOT_SIMPLE : s;
    }
    if (rule.values === "string") return NOT_SIMPLE;
    if (b === OPEN_BRACE) return rule.values === "any" ? this.readObject(nestedShape(shape), ANY_OBJECT, depth + 1) : NOT_SIMPLE;
    return this.readScalar();
  }

  /** Any value but arrays: objects are read key by key, under `root` when given. */
  readValue(root?: Shape): unknown {
    const b = this.bytes[this.pos];
    if (b === QUOTE) return this.readString();
    if (b === OPEN_BRACE) return this.readObject(root, ANY_OBJECT, 1);
    return this.readScalar();
  }

  /** A number, true, false or null. */
  readScalar(): number | boolean | null | NotSimple {
    const b = this.bytes[this.pos];
    if (b === MINUS || (b >= ZERO && b <= NINE)) return this.readNumber();
    if (b === 0x74) return this.readLiteral(TRUE_BYTES) ? true : NOT_SIMPLE; // t
    if (b === 0x66) return this.readLiteral(FALSE_BYTES) ? false : NOT_SIMPLE; // f
    if (b === 0x6e) return this.readLiteral(NULL_BYTES) ? null : NOT_SIMPLE; // n
    return NOT_SIMPLE;
  }

  /** Moves past `word` when the input has it at pos. */
  readLiteral(word: Uint8Array): boolean {
    const bytes = this.bytes;
    const pos = this.pos;
    for (let i = 0; i < word.length; i++) if (bytes[pos + i] !== word[i]) return false;
    this.pos = pos + word.length;
    return true;
  }

  /** Whether the string at pos (its opening quote) is the one of `key`'s bytes; if so, pos moves past it. */
  atKey(key: Uint8Array): boolean {
    const bytes = this.bytes;
    const from = this.pos + 1;
    const n = key.length;
    if (bytes[from + n] !== QUOTE) return false;
    for (let i = 0; i < n; i++) if (bytes[from + i] !== key[i]) return false;
    this.pos = from + n + 1;
    return true;
  }

  /** As readString, for a string that is new every time (an event id): built, never cached. */
  readUniqueString(): string | NotSimple {
    const bytes = this.bytes;
    const from = this.pos + 1;
    let pos = from;
    while (PLAIN[bytes[pos]] === 1) pos++;
    if (bytes[pos] !== QUOTE) return NOT_SIMPLE;
    this.pos = pos + 1;
    return asciiString(bytes, from, pos);
  }

  /** A string of printable ASCII without escapes (pos at its opening quote), or NOT_SIMPLE. */
  readString(): string | NotSimple {
    const bytes = this.bytes;
    const from = this.pos + 1;
    let pos = from;
    while (PLAIN[bytes[pos]] === 1) pos++;
    // control characters are invalid JSON; escapes, DEL and non-ASCII take the general path
    if (bytes[pos] !== QUOTE) return NOT_SIMPLE;
    this.pos = pos + 1;
    const length = pos - from;
    if (length > CACHED_STRING_BYTES) return asciiString(bytes, from, pos);
    // the slot from the length and three of the bytes: cheap, and the comparison below makes it exact
    const slot = (length * 977 + bytes[from] * 31 + bytes[pos - 1] * 7 + bytes[from + (length >> 1)]) & (CACHE_SLOTS - 1);
    const cached = cache[slot];
    if (cached !== undefined && cached.length === length && sameAscii(cached, bytes, from)) return cached;
    const fresh = asciiString(bytes, from, pos);
    cache[slot] = fresh;
    return fresh;
  }

  /**
   * A number in JSON's grammar (pos at its first byte). With a decimal mantissa below 2^53 and a power of ten
   * up to 22 it is one exact multiplication or division, so correctly rounded (Clinger's fast path);
   * otherwise Number() of its text, which rounds as JSON.parse does. Never ±Infinity: NOT_SIMPLE instead.
   */
  readNumber(): number | NotSimple {
    const bytes = this.bytes;
    const from = this.pos;
    let pos = from;
    let b = bytes[pos];
    const negative = b === MINUS;
    if (negative) b = bytes[++pos];
    if (!(b >= ZERO && b <= NINE)) return NOT_SIMPLE;
    let mantissa = 0;
    let exact = true;
    if (b === ZERO) {
      b = bytes[++pos];
      if (b >= ZERO && b <= NINE) return NOT_SIMPLE; // a leading zero is invalid JSON
    } else {
      while (b >= ZERO && b <= NINE) {
        mantissa = mantissa * 10 + (b - ZERO);
        b = bytes[++pos];
      }
      if (mantissa >= EXACT_MANTISSA) exact = false;
    }
    let scale = 0;
    if (b === DOT) {
      b = bytes[++pos];
      if (!(b >= ZERO && b <= NINE)) return NOT_SIMPLE;
      while (b >= ZERO && b <= NINE) {
        if (exact) {
          mantissa = mantissa * 10 + (b - ZERO);
          if (mantissa >= EXACT_MANTISSA) exact = false;
        }
        scale--;
        b = bytes[++pos];
      }
    }
    if (b === LOWER_E || b === UPPER_E) {
      b = bytes[++pos];
      let exponentNegative = false;
      if (b === MINUS || b === PLUS) {
        exponentNegative = b === MINUS;
        b = bytes[++pos];
      }
      if (!(b >= ZERO && b <= NINE)) return NOT_SIMPLE;
      let exponent = 0;
      while (b >= ZERO && b <= NINE) {
        if (exponent < 100000) exponent = exponent * 10 + (b - ZERO);
        b = bytes[++pos];
      }
      scale += exponentNegative ? -exponent : exponent;
    }
    this.pos = pos;
    if (!exact || scale > 22 || scale < -22) {
      // beyond the double range JSON.parse gives ±Infinity, which no event field accepts
      const n = Number(asciiString(bytes, from, pos));
      return Number.isFinite(n) ? n : NOT_SIMPLE;
    }
    const magnitude = scale === 0 ? mantissa : scale > 0 ? mantissa * EXACT_POWERS_OF_TEN[scale] : mantissa / EXACT_POWERS_OF_TEN[-scale];
    return negative ? -magnitude : magnitude;
  }
}

const SCANNER = new JsonScanner();
const ROOT = newShape();

/**
 * JSON.parse of the object starting at `start` (its "{", after any BOM and whitespace) and running to the end
 * of `input` (trailing whitespace allowed), or undefined when the input is not of the common shape.
 */
export function scanJsonObject(input: Uint8Array, start: number): JsonObject | undefined {
  if (input[start] !== OPEN_BRACE) return undefined;
  SCANNER.reset(input, start);
  const value = SCANNER.readObject(ROOT);
  return value !== NOT_SIMPLE && SCANNER.atEnd() ? value : undefined;
}

function sameAscii(s: string, bytes: Uint8Array, from: number): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== bytes[from + i]) return false;
  return true;
}

// One array per length for the char codes of a short string: String.fromCharCode.apply on a plain array is
// about 3x cheaper than on a subarray (a Buffer's subarray is another Buffer).
const CHAR_CODES: number[][] = Array.from({ length: 65 }, (_, n) => new Array<number>(n).fill(0));

function asciiString(bytes: Uint8Array, from: number, to: number): string {
  const n = to - from;
  if (n >= CHAR_CODES.length) return String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[]);
  const codes = CHAR_CODES[n];
  for (let i = 0; i < n; i++) codes[i] = bytes[from + i];
  return String.fromCharCode.apply(null, codes);
}

export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
