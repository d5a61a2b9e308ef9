// One entry of a model's outcome join (a pending prediction, a joined id remembered for duplicates, an early
// outcome) as one field of the model's join hash in the store (issue 11: the join is written incrementally,
// one field per eventId, instead of the whole state per chunk). Compact binary, versioned per value:
//   field  <kind letter><eventId>          p = pending, j = joined, e = early; the eventId as UTF-8
//          <KIND LETTER><JSON of eventId>  for an id with a lone UTF-16 surrogate (UTF-8 cannot carry it)
//   value  u8 format (1), f64 insertion sequence, then per kind:
//     pending  f64 timestamp, u8 flags (1 predictedClass, 2 prediction, 4 confidence, 8 segments),
//              [f64 prediction], [f64 confidence], str modelVersion, str windowId, [str predictedClass],
//              [u32 count, then count × (str key, str segment)]
//     joined   f64 prediction time
//     early    f64 timestamp, u8 flags (1 actual, 2 actualClass), [f64 actual], str offset, [str actualClass]
//   str = u32 byte length + UTF-8 (all big-endian). Lossless: decode(encode(e)) equals e.
import type { EarlyOutcome, JoinEntryKind, JoinState, PendingPrediction, StoredJoinEntry } from "../outcomes/join.ts";
import { EngineStateDecodeError } from "./state-decode-error.ts";

export const JOIN_ENTRY_FORMAT = 1;

const LETTER: Record<JoinEntryKind, string> = { pending: "p", joined: "j", early: "e" };
const KIND_OF: Record<string, JoinEntryKind> = { p: "pending", j: "joined", e: "early" };
/** in a /u pattern a surrogate pair is one code point, so \p{Cs} matches only a lone surrogate */
const LONE_SURROGATE = /\p{Cs}/u;

/** The field of an entry in its model's join hash. */
export function joinEntryField(kind: JoinEntryKind, eventId: string): string {
  return !LONE_SURROGATE.test(eventId) ? LETTER[kind] + eventId : LETTER[kind].toUpperCase() + JSON.stringify(eventId);
}

function parseField(modelId: string, field: string): { kind: JoinEntryKind; eventId: string } {
  const letter = field.charAt(0);
  const kind = KIND_OF[letter.toLowerCase()];
  if (kind === undefined) throw decodeError(modelId, `join entry field ${JSON.stringify(field.slice(0, 40))} has no known kind`);
  if (letter === LETTER[kind]) return { kind, eventId: field.slice(1) };
  try {
    return { kind, eventId: JSON.parse(field.slice(1)) as string };
  } catch {
    throw decodeError(modelId, `join entry field ${JSON.stringify(field.slice(0, 40))} is not an escaped id`);
  }
}

function decodeError(modelId: string, message: string): EngineStateDecodeError {
  return new EngineStateDecodeError(`stored outcome join of model ${modelId}: ${message}`, { part: "outcomes", modelId });
}

// Buffer's number and UTF-8 methods: several times faster than DataView + TextEncoder/TextDecoder on values
// this small (a load decodes up to maxPending of them per model).
const F64 = 8;
const strBytes = (s: string) => 4 + Buffer.byteLength(s, "utf8");

class Writer {
  private at = 0;
  constructor(readonly buf: Buffer) {}
  u8(x: number): void {
    this.at = this.buf.writeUInt8(x, this.at);
  }
  u32(x: number): void {
    this.at = this.buf.writeUInt32BE(x, this.at);
  }
  f64(x: number): void {
    this.at = this.buf.writeDoubleBE(x, this.at);
  }
  str(s: string): void {
    const n = this.buf.write(s, this.at + 4, "utf8");
    this.buf.writeUInt32BE(n, this.at);
    this.at += 4 + n;
  }
}

class Reader {
  private at = 0;
  private readonly buf: Buffer;
  constructor(
    bytes: Uint8Array,
    private readonly modelId: string,
  ) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (this.at + n > this.buf.length) throw decodeError(this.modelId, "join entry value is truncated");
  }
  u8(): number {
    this.need(1);
    return this.buf[this.at++];
  }
  u32(): number {
    this.need(4);
    const x = this.buf.readUInt32BE(this.at);
    this.at += 4;
    return x;
  }
  f64(): number {
    this.need(F64);
    const x = this.buf.readDoubleBE(this.at);
    this.at += F64;
    return x;
  }
  str(): string {
    const n = this.u32();
    this.need(n);
    const s = this.buf.toString("utf8", this.at, this.at + n);
    this.at += n;
    return s;
  }
  end(): void {
    if (this.at !== this.buf.length) throw decodeError(this.modelId, "join entry value has trailing bytes");
  }
}

function encodedSize(entry: StoredJoinEntry): number {
  const head = 1 + F64;
  if (entry.kind === "joined") return head + F64;
  if (entry.kind === "early") {
    const o = entry.value;
    return head + F64 + 1 + (o.actual !== null ? F64 : 0) + strBytes(o.offset) + (o.actualClass !== null ? strBytes(o.actualClass) : 0);
  }
  const p = entry.value;
  let n = head + F64 + 1 + (p.prediction !== null ? F64 : 0) + (p.confidence !== null ? F64 : 0);
  n += strBytes(p.modelVersion) + strBytes(p.windowId) + (p.predictedClass !== null ? strBytes(p.predictedClass) : 0);
  if (p.segments !== undefined) {
    n += 4;
    for (const [key, segment] of Object.entries(p.segments)) n += strBytes(key) + strBytes(segment);
  }
  return n;
}

export function encodeJoinEntry(entry: StoredJoinEntry): Uint8Array {
  const w = new Writer(Buffer.allocUnsafe(encodedSize(entry)));
  w.u8(JOIN_ENTRY_FORMAT);
  w.f64(entry.seq);
  if (entry.kind === "pending") {
    const p = entry.value;
    w.f64(p.timestamp);
    const segments = p.segments === undefined ? undefined : Object.entries(p.segments);
    w.u8((p.predictedClass !== null ? 1 : 0) | (p.prediction !== null ? 2 : 0) | (p.confidence !== null ? 4 : 0) | (segments ? 8 : 0));
    if (p.prediction !== null) w.f64(p.prediction);
    if (p.confidence !== null) w.f64(p.confidence);
    w.str(p.modelVersion);
    w.str(p.windowId);
    if (p.predictedClass !== null) w.str(p.predictedClass);
    if (segments !== undefined) {
      w.u32(segments.length);
      for (const [key, segment] of segments) {
        w.str(key);
        w.str(segment);
      }
    }
  } else if (entry.kind === "joined") {
    w.f64(entry.value);
  } else {
    const o = entry.value;
    w.f64(o.timestamp);
    w.u8((o.actual !== null ? 1 : 0) | (o.actualClass !== null ? 2 : 0));
    if (o.actual !== null) w.f64(o.actual);
    w.str(o.offset);
    if (o.actualClass !== null) w.str(o.actualClass);
  }
  return w.buf;
}

export function decodeJoinEntry(modelId: string, field: string, bytes: Uint8Array): StoredJoinEntry {
  const { kind, eventId } = parseField(modelId, field);
  const r = new Reader(bytes, modelId);
  const format = r.u8();
  if (format !== JOIN_ENTRY_FORMAT) throw decodeError(modelId, `join entry has unknown format ${format}`);
  const seq = r.f64();
  let entry: StoredJoinEntry;
  if (kind === "pending") {
    const timestamp = r.f64();
    const flags = r.u8();
    const prediction = flags & 2 ? r.f64() : null;
    const confidence = flags & 4 ? r.f64() : null;
    const modelVersion = r.str();
    const windowId = r.str();
    const predictedClass = flags & 1 ? r.str() : null;
    const value: PendingPrediction = { modelVersion, windowId, timestamp, predictedClass, prediction, confidence };
    if (flags & 8) {
      const segments: Record<string, string> = {};
      for (let n = r.u32(); n > 0; n--) {
        const key = r.str();
        segments[key] = r.str();
      }
      value.segments = segments;
    }
    entry = { kind, eventId, seq, value };
  } else if (kind === "joined") {
    entry = { kind, eventId, seq, value: r.f64() };
  } else {
    const timestamp = r.f64();
    const flags = r.u8();
    const actual = flags & 1 ? r.f64() : null;
    const offset = r.str();
    const actualClass = flags & 2 ? r.str() : null;
    const value: EarlyOutcome = { timestamp, offset, actual, actualClass };
    entry = { kind, eventId, seq, value };
  }
  r.end();
  return entry;
}

/** What a model's join hash must change to hold the state: the entries changed since the last persist. */
export interface JoinEntryWrite {
  put: Map<string, Uint8Array>;
  delete: string[];
}

export function joinEntryChanges(join: JoinState): JoinEntryWrite {
  const put = new Map<string, Uint8Array>();
  const deleted: string[] = [];
  for (const [eventId, seq] of join.changes.pending) {
    const value = join.pending.get(eventId);
    const field = joinEntryField("pending", eventId);
    if (value === undefined) deleted.push(field);
    else put.set(field, encodeJoinEntry({ kind: "pending", eventId, seq, value }));
  }
  for (const [eventId, seq] of join.changes.joined) {
    const value = join.joined.get(eventId);
    const field = joinEntryField("joined", eventId);
    if (value === undefined) deleted.push(field);
    else put.set(field, encodeJoinEntry({ kind: "joined", eventId, seq, value }));
  }
  for (const [eventId, seq] of join.changes.early) {
    const value = join.early.get(eventId);
    const field = joinEntryField("early", eventId);
    if (value === undefined) deleted.push(field);
    else put.set(field, encodeJoinEntry({ kind: "early", eventId, seq, value }));
  }
  return { put, delete: deleted };
}

/** The stored entries of a model's join hash, decoded (in storage order; loadJoinEntries orders them). */
export function decodeJoinEntries(modelId: string, fields: ReadonlyMap<string, Uint8Array>): StoredJoinEntry[] {
  const out: StoredJoinEntry[] = [];
  for (const [field, bytes] of fields) out.push(decodeJoinEntry(modelId, field, bytes));
  return out;
}

/**
 * Every entry of the join, each with its position in its collection as sequence (what orders them; all
 * below the state's nextSeq): a snapshot of the whole join, for tests and tools, never the service's write.
 */
export function encodeWholeJoin(join: JoinState): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let seq = 0;
  for (const [eventId, value] of join.pending)
    out.set(joinEntryField("pending", eventId), encodeJoinEntry({ kind: "pending", eventId, seq: seq++, value }));
  seq = 0;
  for (const [eventId, value] of join.joined)
    out.set(joinEntryField("joined", eventId), encodeJoinEntry({ kind: "joined", eventId, seq: seq++, value }));
  seq = 0;
  for (const [eventId, value] of join.early)
    out.set(joinEntryField("early", eventId), encodeJoinEntry({ kind: "early", eventId, seq: seq++, value }));
  return out;
}
