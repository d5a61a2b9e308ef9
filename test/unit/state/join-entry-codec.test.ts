// The outcome join persisted incrementally (issue 11): one field per entry, each chunk writing only the
// entries it changed, and the 0.1.0 format (the whole join inline) still read and migrated on first write.
import { describe, expect, it } from "vitest";
import {
  applyOutcome,
  clearJoinChanges,
  createJoinState,
  registerPrediction,
  type JoinSettings,
  type JoinState,
  type PendingPrediction,
  type StoredJoinEntry,
} from "../../../src/outcomes/join.ts";
import { createModelOutcomeState, type ModelOutcomeState } from "../../../src/outcomes/tracker.ts";
import {
  decodeJoinEntry,
  encodeJoinEntry,
  encodeWholeJoin,
  joinEntryChanges,
  joinEntryField,
} from "../../../src/state/join-entry-codec.ts";
import { decodeModelOutcomes, encodeModelOutcomes, encodeModelOutcomesInlineJoin } from "../../../src/state/outcome-state-codec.ts";
import { EngineStateDecodeError } from "../../../src/state/state-decode-error.ts";

const DAY = 86_400_000;

function prediction(timestamp: number, i: number): PendingPrediction {
  return {
    modelVersion: i % 3 === 0 ? "v2" : "v1",
    windowId: `m|v1|0|${Math.floor(i / 100)}`,
    timestamp,
    predictedClass: i % 4 === 0 ? null : `c${i % 5}`,
    prediction: i % 2 === 0 ? null : i / 7,
    confidence: i % 5 === 0 ? null : (i % 97) / 97,
  };
}

/**
 * A stream of predictions one minute apart and their outcomes: some early, some duplicate, some for ids
 * never predicted, none at all for 1 in 7 (they expire) and none during a burst (the count bound evicts).
 */
function drive(join: JoinState, settings: JoinSettings, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const t = 1_000_000 + i * 60_000;
    const outcome = (eventId: string, timestamp: number, actualClass: string) =>
      applyOutcome(join, { eventId, timestamp, offset: String(i), actual: i / 3, actualClass }, settings);
    if (i % 11 === 3) outcome(`id-${i + 2}`, t, "c1");
    if (i % 29 === 0) outcome(`ghost-${i}`, t, "c2");
    registerPrediction(join, `id-${i}`, prediction(t, i), settings);
    const j = i - 5;
    if (j >= 0 && j % 7 !== 0 && (j < 2000 || j >= 3000)) outcome(`id-${j}`, t, `c${j % 5}`);
    if (i % 17 === 0) outcome(`id-${i - 8}`, t, "c0");
  }
}

/** Applies the recorded changes to `fields` as a store would, then forgets them. */
function persist(join: JoinState, fields: Map<string, Uint8Array>): { put: number; deleted: number } {
  const change = joinEntryChanges(join);
  for (const [f, v] of change.put) fields.set(f, v);
  for (const f of change.delete) fields.delete(f);
  clearJoinChanges(join);
  return { put: change.put.size, deleted: change.delete.length };
}

function expectSameJoin(got: JoinState, want: JoinState): void {
  expect([...got.pending]).toEqual([...want.pending]);
  expect([...got.joined]).toEqual([...want.joined]);
  expect([...got.early]).toEqual([...want.early]);
  expect(got.counters).toEqual(want.counters);
  expect([got.predictionWatermark, got.outcomeWatermark, got.nextSeq]).toEqual([
    want.predictionWatermark,
    want.outcomeWatermark,
    want.nextSeq,
  ]);
}

describe("join entries as fields", () => {
  it("each kind round-trips exactly, with nulls, -0, non-ASCII ids and an id holding a lone surrogate", () => {
    const entries: StoredJoinEntry[] = [
      { kind: "pending", eventId: "é-😀", seq: 0, value: prediction(1, 1) },
      { kind: "pending", eventId: "x", seq: 2 ** 40, value: { ...prediction(-0, 4), prediction: -0, confidence: 0, predictedClass: "" } },
      {
        kind: "pending",
        eventId: "nulls",
        seq: 3,
        value: { ...prediction(5, 20), predictedClass: null, prediction: null, confidence: null },
      },
      { kind: "joined", eventId: "lone\ud800", seq: 7, value: 1_763_769_600_000 },
      { kind: "early", eventId: "e", seq: 9, value: { timestamp: 12, offset: "9007199254740993", actual: 1e300, actualClass: "yes" } },
      { kind: "early", eventId: "e2", seq: 10, value: { timestamp: 12, offset: "0", actual: null, actualClass: null } },
    ];
    for (const e of entries) {
      const field = joinEntryField(e.kind, e.eventId);
      const bytes = encodeJoinEntry(e);
      const back = decodeJoinEntry("m", field, bytes);
      expect(back).toEqual(e);
      expect(Object.is((back.value as PendingPrediction).timestamp, (e.value as PendingPrediction).timestamp)).toBe(true);
      expect(Buffer.from(encodeJoinEntry(back)).equals(Buffer.from(bytes))).toBe(true);
    }
    // the lone surrogate survives a trip through UTF-8 (Redis field names) because it is escaped
    const field = joinEntryField("joined", "lone\ud800");
    expect(Buffer.from(field, "utf8").toString("utf8")).toBe(field);
    expect(joinEntryField("pending", "abc")).toBe("pabc");
    // a pending prediction of a typical event is about 60 bytes, not an event
    expect(encodeJoinEntry({ kind: "pending", eventId: "x", seq: 1, value: prediction(1_763_769_600_000, 7) }).byteLength).toBeLessThan(64);
  });

  it("a truncated value, trailing bytes, an unknown format or kind are typed errors naming the model", () => {
    const bytes = encodeJoinEntry({ kind: "joined", eventId: "a", seq: 1, value: 5 });
    const bad = (field: string, b: Uint8Array) => () => decodeJoinEntry("fraud", field, b);
    expect(bad("ja", bytes.slice(0, bytes.length - 1))).toThrow(EngineStateDecodeError);
    expect(bad("ja", new Uint8Array([...bytes, 0]))).toThrow(/trailing/);
    expect(bad("ja", new Uint8Array([9, ...bytes.slice(1)]))).toThrow(/unknown format 9/);
    expect(bad("xa", bytes)).toThrow(/model fraud.*no known kind/);
    expect(bad("J{not json", bytes)).toThrow(EngineStateDecodeError);
  });

  it("state persisted chunk by chunk as changes loads equal to the state in memory, in the same order, through evictions and expiry", () => {
    const settings: JoinSettings = { labelDelayMs: 2 * DAY, maxPending: 700, maxEarlyOutcomes: 40 };
    const model = createModelOutcomeState("m");
    const fields = new Map<string, Uint8Array>();
    for (let from = 0; from < 6000; from += 437) {
      drive(model.join, settings, from, Math.min(6000, from + 437));
      persist(model.join, fields);
      const back = decodeModelOutcomes("m", encodeModelOutcomes(model), fields);
      expectSameJoin(back.join, model.join);
    }
    // the bounds and the expiry did their work, so deletes were exercised
    expect(model.join.counters.evicted).toBeGreaterThan(0);
    expect(model.join.counters.expired).toBeGreaterThan(model.join.counters.evicted);
    expect(model.join.counters.unknown).toBeGreaterThan(0);
    expect(model.join.counters.duplicateOutcomes).toBeGreaterThan(0);
    expect(fields.size).toBe(model.join.pending.size + model.join.joined.size + model.join.early.size);
    // the state keeps going after a load exactly like the one that never stopped
    const back = decodeModelOutcomes("m", encodeModelOutcomes(model), fields);
    drive(model.join, settings, 6000, 7000);
    drive(back.join, settings, 6000, 7000);
    expectSameJoin(back.join, model.join);
    persist(back.join, fields);
    expectSameJoin(decodeModelOutcomes("m", encodeModelOutcomes(back), fields).join, model.join);
  });

  it("a chunk writes only what it changed: 100 predictions at 10 000 pending are 100 fields, and the record does not grow with pending", () => {
    const settings: JoinSettings = { labelDelayMs: 7 * DAY, maxPending: 200_000, maxEarlyOutcomes: 1000 };
    const model = createModelOutcomeState("m");
    const empty = encodeModelOutcomes(model).byteLength;
    for (let i = 0; i < 10_000; i++) registerPrediction(model.join, `id-${i}`, prediction(1000 + i, i), settings);
    const fields = new Map<string, Uint8Array>();
    expect(persist(model.join, fields)).toEqual({ put: 10_000, deleted: 0 });
    for (let i = 10_000; i < 10_100; i++) registerPrediction(model.join, `id-${i}`, prediction(1000 + i, i), settings);
    for (let i = 0; i < 50; i++)
      applyOutcome(model.join, { eventId: `id-${i}`, timestamp: 20_000, offset: "1", actual: null, actualClass: "c1" }, settings);
    // 100 pending added, 50 pending removed, 50 joined ids remembered
    expect(persist(model.join, fields)).toEqual({ put: 150, deleted: 50 });
    expect(encodeModelOutcomes(model).byteLength - empty).toBeLessThan(120);
  });

  it("a record joined with fewer or more entries than it counts is a typed error", () => {
    const model = createModelOutcomeState("m");
    const settings: JoinSettings = { labelDelayMs: DAY, maxPending: 10, maxEarlyOutcomes: 10 };
    drive(model.join, settings, 0, 30);
    const fields = encodeWholeJoin(model.join);
    fields.delete([...fields.keys()][0]);
    expect(() => decodeModelOutcomes("m", encodeModelOutcomes(model), fields)).toThrow(
      /holds .* pending\/joined\/early entries, its record says/,
    );
    // without the entries (a reader of the performance part only) the record alone decodes
    expect(decodeModelOutcomes("m", encodeModelOutcomes(model)).join.pending.size).toBe(0);
  });
});

describe("outcome state of 0.1.0 (format 1, the whole join inline)", () => {
  function oldState(): ModelOutcomeState {
    const model = createModelOutcomeState("m");
    drive(model.join, { labelDelayMs: 2 * DAY, maxPending: 300, maxEarlyOutcomes: 20 }, 0, 1500);
    return model;
  }

  it("is decoded with its entries in order, and its first write moves every entry into fields and writes format 2", () => {
    const model = oldState();
    const v1 = encodeModelOutcomesInlineJoin(model);
    expect(JSON.parse(new TextDecoder().decode(v1)).v).toBe(1);
    const decoded = decodeModelOutcomes("m", v1, new Map());
    expect([...decoded.join.pending]).toEqual([...model.join.pending]);
    expect([...decoded.join.joined]).toEqual([...model.join.joined]);
    expect([...decoded.join.early]).toEqual([...model.join.early]);
    const fields = new Map<string, Uint8Array>();
    const size = model.join.pending.size + model.join.joined.size + model.join.early.size;
    expect(persist(decoded.join, fields)).toEqual({ put: size, deleted: 0 });
    const v2 = encodeModelOutcomes(decoded);
    expect(JSON.parse(new TextDecoder().decode(v2)).v).toBe(2);
    const again = decodeModelOutcomes("m", v2, fields);
    expectSameJoin(again.join, decoded.join);
    // and the migrated state goes on exactly like the old one would have
    const settings: JoinSettings = { labelDelayMs: 2 * DAY, maxPending: 300, maxEarlyOutcomes: 20 };
    drive(model.join, settings, 1500, 2000);
    drive(again.join, settings, 1500, 2000);
    expect([...again.join.pending]).toEqual([...model.join.pending]);
    expect([...again.join.early]).toEqual([...model.join.early]);
    expect(again.join.counters).toEqual(model.join.counters);
  });

  it("an unknown format is a typed error", () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ v: 3, modelId: "m", join: {}, versions: [] }));
    expect(() => decodeModelOutcomes("m", bytes, new Map())).toThrow(/unknown format 3/);
  });
});

// keeps the helper honest: an empty state has nothing to write
it("a join with no changes writes nothing", () => {
  const join = createJoinState();
  expect(joinEntryChanges(join)).toEqual({ put: new Map(), delete: [] });
});
