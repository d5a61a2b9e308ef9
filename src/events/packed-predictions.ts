// Decoded prediction lines packed to pass between threads: replay decodes on one thread and applies on another
// (src/cli/decoding-thread.ts). A structured clone of the events themselves costs about what JSON.parse does;
// packed, numbers travel in one Float64Array, codes in one Int32Array and strings in plain string arrays, which
// clone at close to memcpy speed, and repeated strings (model ids, versions, categories, feature names) and key
// sequences travel once per packer and unpacker pair. The unpacker builds each event with the decoders' own
// builders (canonicalPrediction, one object literal per key sequence), so what it gives equals what was packed,
// field for field and key for key, in the same order.
import type { SchemaKey } from "./confluent-framing.ts";
import { canonicalPrediction } from "./canonical-prediction.ts";
import type { DecodeResult, MessageFormat, Rejected } from "./decode-result.ts";
import { DetectorError } from "../errors/detector-error.ts";
import { objectBuilder, type JsonObject } from "./json-scanner.ts";
import type { FeatureValue, PredictionEvent } from "./types.ts";

/** A rejected line: its rejection, and its bytes (the dead letter's value). */
export interface PackedRejection {
  result: Rejected;
  value: Uint8Array;
}

export interface PackedPredictions {
  /** per line: its 0-based number in the input */
  lineNumbers: Float64Array;
  /** per line, in order: a header code, then the references of its fields (PredictionPacker.add) */
  codes: Int32Array;
  numbers: Float64Array;
  /** strings new to the unpacker's table, in the order of their ids */
  newStrings: string[];
  /** key sequences new to the unpacker, as string ids, in the order of their ids */
  newShapes: number[][];
  /** strings sent as they are: event ids, and any string once the table is full */
  inline: string[];
  rejections: PackedRejection[];
}

// Header code: bits 0–5 the optional fields present (canonicalPrediction's order), bits 6–7 the format, then flags.
const PREDICTION = 1;
const PREDICTED_CLASS = 2;
const CONFIDENCE = 4;
const LATENCY = 8;
const FEATURES = 16;
const ATTRIBUTES = 32;
const FORMAT_SHIFT = 6;
const HAS_SCHEMA_ID = 1 << 8;
const STRING_SCHEMA_ID = 1 << 9;
const REJECTED = 1 << 10;
const FORMATS: readonly MessageFormat[] = ["json", "avro", "protobuf"];
const FORMAT_CODES: Readonly<Record<MessageFormat, number>> = { json: 0, avro: 1, protobuf: 2 };

// A reference: a string id (>= 0), or one of these.
const INLINE = -1;
const NUMBER = -2;
const NULL = -3;
const TRUE = -4;
const FALSE = -5;
/** A key sequence sent with the object (INLINE_SHAPE - its key count), when the table cannot hold it. */
const INLINE_SHAPE = -16;

/** A decoded event holds what no decoder gives (a feature that is not a scalar): a bug, never input. */
export class PackError extends DetectorError<{ key: string }> {}

/** Bounds on what the tables hold (strings and key sequences come from the input); past them, values go inline. */
const MAX_STRINGS = 1 << 16;
const MAX_SHAPES = 4096;

interface KeyNode {
  next: Map<string, KeyNode>;
  /** the shape id of the key sequence that ends here, -1 before it is given one */
  id: number;
}

/** Packs decode results line by line; `take` gives the lines added since the last take. */
export class PredictionPacker {
  private readonly stringIds = new Map<string, number>();
  private readonly shapes: KeyNode = { next: new Map(), id: -1 };
  private shapeCount = 0;
  private lineNumbers = new Float64Array(1024);
  private codes = new Int32Array(16384);
  private numbers = new Float64Array(16384);
  private lineCount = 0;
  private codeCount = 0;
  private numberCount = 0;
  private newStrings: string[] = [];
  private newShapes: number[][] = [];
  private inline: string[] = [];
  private rejections: PackedRejection[] = [];

  get lines(): number {
    return this.lineCount;
  }

  /** Adds line `lineNumber`'s result; `value`, its bytes, is needed (and copied) only for a rejection. */
  add(lineNumber: number, result: DecodeResult<PredictionEvent>, value?: Uint8Array): void {
    if (this.lineCount === this.lineNumbers.length) this.lineNumbers = grown(this.lineNumbers);
    this.lineNumbers[this.lineCount++] = lineNumber;
    if (!result.ok) {
      this.code(REJECTED);
      this.rejections.push({ result, value: value === undefined ? new Uint8Array(0) : value.slice() });
      return;
    }
    const e = result.event;
    const schemaId = result.schemaId;
    const present =
      (e.prediction != null ? PREDICTION : 0) |
      (e.predictedClass != null ? PREDICTED_CLASS : 0) |
      (e.confidence != null ? CONFIDENCE : 0) |
      (e.latencyMs != null ? LATENCY : 0) |
      (e.features != null ? FEATURES : 0) |
      (e.attributes != null ? ATTRIBUTES : 0);
    const idFlags = schemaId === undefined ? 0 : typeof schemaId === "string" ? HAS_SCHEMA_ID | STRING_SCHEMA_ID : HAS_SCHEMA_ID;
    this.code(present | (FORMAT_CODES[result.format] << FORMAT_SHIFT) | idFlags);
    this.inline.push(e.eventId);
    this.string(e.modelId);
    this.string(e.modelVersion);
    this.number(e.timestamp);
    if ((present & PREDICTION) !== 0) this.number(e.prediction!);
    if ((present & PREDICTED_CLASS) !== 0) this.string(e.predictedClass!);
    if ((present & CONFIDENCE) !== 0) this.number(e.confidence!);
    if ((present & LATENCY) !== 0) this.number(e.latencyMs!);
    if ((present & FEATURES) !== 0) this.object(e.features!);
    if ((present & ATTRIBUTES) !== 0) this.object(e.attributes!);
    if (typeof schemaId === "string") this.string(schemaId);
    else if (schemaId !== undefined) this.number(schemaId);
  }

  /** The lines added since the last take (its typed arrays are copies: transfer them). */
  take(): PackedPredictions {
    const packed: PackedPredictions = {
      lineNumbers: this.lineNumbers.slice(0, this.lineCount),
      codes: this.codes.slice(0, this.codeCount),
      numbers: this.numbers.slice(0, this.numberCount),
      newStrings: this.newStrings,
      newShapes: this.newShapes,
      inline: this.inline,
      rejections: this.rejections,
    };
    this.lineCount = this.codeCount = this.numberCount = 0;
    this.newStrings = [];
    this.newShapes = [];
    this.inline = [];
    this.rejections = [];
    return packed;
  }

  private code(c: number): void {
    if (this.codeCount === this.codes.length) this.codes = grown(this.codes);
    this.codes[this.codeCount++] = c;
  }

  private number(x: number): void {
    if (this.numberCount === this.numbers.length) this.numbers = grown(this.numbers);
    this.numbers[this.numberCount++] = x;
  }

  /** The string's id, given one when the table has room; -1 when it is full. */
  private idOf(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      if (this.stringIds.size >= MAX_STRINGS) return INLINE;
      id = this.stringIds.size;
      this.stringIds.set(s, id);
      this.newStrings.push(s);
    }
    return id;
  }

  private string(s: string): void {
    const id = this.idOf(s);
    this.code(id);
    if (id === INLINE) this.inline.push(s);
  }

  /**
   * Its key sequence's shape id, then one reference per value; a sequence the table cannot hold is
   * INLINE_SHAPE - count, the values, then the keys. One walk of the object: the shape's code is written last,
   * into the place kept for it.
   */
  private object(object: Readonly<Record<string, FeatureValue>>): void {
    if (this.codeCount === this.codes.length) this.codes = grown(this.codes);
    const at = this.codeCount++;
    let node = this.shapes;
    let count = 0;
    for (const key in object) {
      let next = node.next.get(key);
      if (next === undefined) {
        next = { next: new Map(), id: -1 };
        node.next.set(key, next);
      }
      node = next;
      count++;
      const v = object[key];
      if (typeof v === "number") {
        this.code(NUMBER);
        this.number(v);
      } else if (typeof v === "string") this.string(v);
      else if (v === null || typeof v === "boolean") this.code(v === null ? NULL : v ? TRUE : FALSE);
      else throw new PackError(`feature ${JSON.stringify(key)} holds a value of type ${typeof v}, not a scalar`, { key });
    }
    if (node.id < 0 && this.shapeCount < MAX_SHAPES) {
      const ids = Object.keys(object).map((key) => this.idOf(key));
      if (!ids.includes(INLINE)) {
        node.id = this.shapeCount++;
        this.newShapes.push(ids);
      }
    }
    if (node.id >= 0) this.codes[at] = node.id;
    else {
      this.codes[at] = INLINE_SHAPE - count;
      for (const key in object) this.string(key);
    }
  }
}

function grown<A extends Int32Array | Float64Array>(a: A): A {
  const b = new (a.constructor as new (n: number) => A)(a.length * 2);
  b.set(a);
  return b;
}

type Build = (values: unknown[], base: number) => JsonObject;

/** The results of a packer's lines, in order: `load` each packed batch in the order taken, then `next` per line. */
export class PredictionUnpacker {
  private readonly strings: string[] = [];
  private readonly builds: Build[] = [];
  private readonly sizes: number[] = [];
  private readonly values: unknown[] = [];
  private packed: PackedPredictions | undefined;
  private c = 0;
  private n = 0;
  private s = 0;
  private r = 0;
  /** the bytes of the last rejected line read */
  lastRejectedValue: Uint8Array = new Uint8Array(0);

  load(packed: PackedPredictions): void {
    for (const s of packed.newStrings) this.strings.push(s);
    for (const ids of packed.newShapes) {
      this.builds.push(objectBuilder(ids.map((id) => this.strings[id])));
      this.sizes.push(ids.length);
    }
    this.packed = packed;
    this.c = this.n = this.s = this.r = 0;
  }

  /** The next line's result. */
  next(): DecodeResult<PredictionEvent> {
    const p = this.packed!;
    const header = p.codes[this.c++];
    if ((header & REJECTED) !== 0) {
      const rejection = p.rejections[this.r++];
      this.lastRejectedValue = rejection.value;
      return rejection.result;
    }
    const numbers = p.numbers;
    const eventId = p.inline[this.s++];
    const modelId = this.string();
    const modelVersion = this.string();
    const timestamp = numbers[this.n++];
    const prediction = (header & PREDICTION) !== 0 ? numbers[this.n++] : null;
    const predictedClass = (header & PREDICTED_CLASS) !== 0 ? this.string() : null;
    const confidence = (header & CONFIDENCE) !== 0 ? numbers[this.n++] : null;
    const latencyMs = (header & LATENCY) !== 0 ? numbers[this.n++] : null;
    const features = (header & FEATURES) !== 0 ? (this.object() as Record<string, FeatureValue>) : null;
    const attributes = (header & ATTRIBUTES) !== 0 ? (this.object() as Record<string, string>) : null;
    const event = canonicalPrediction(
      eventId,
      modelId,
      modelVersion,
      timestamp,
      prediction,
      predictedClass,
      confidence,
      latencyMs,
      features,
      attributes,
    );
    const format = FORMATS[(header >> FORMAT_SHIFT) & 3];
    if ((header & HAS_SCHEMA_ID) === 0) return { ok: true, event, format };
    const schemaId: SchemaKey = (header & STRING_SCHEMA_ID) !== 0 ? this.string() : numbers[this.n++];
    return { ok: true, event, format, schemaId };
  }

  private string(): string {
    const id = this.packed!.codes[this.c++];
    return id === INLINE ? this.packed!.inline[this.s++] : this.strings[id];
  }

  private value(): FeatureValue {
    const p = this.packed!;
    const ref = p.codes[this.c];
    if (ref >= INLINE) return this.string();
    this.c++;
    return ref === NUMBER ? p.numbers[this.n++] : ref === NULL ? null : ref === TRUE;
  }

  private object(): JsonObject {
    const shape = this.packed!.codes[this.c++];
    const values = this.values;
    if (shape >= 0) {
      const size = this.sizes[shape];
      for (let i = 0; i < size; i++) values[i] = this.value();
      return this.builds[shape](values, 0);
    }
    const count = INLINE_SHAPE - shape;
    for (let i = 0; i < count; i++) values[i] = this.value();
    const keys: string[] = [];
    for (let i = 0; i < count; i++) keys.push(this.string());
    return objectBuilder(keys)(values, 0);
  }
}
