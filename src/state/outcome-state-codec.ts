// Serialisation of a model's outcome state (ModelState.outcomes: the join of outcomes to predictions and the
// per-version performance windows, reference, calibration, hysteresis, incident and retrain streak) for the
// StateStore. A JSON envelope with a version field, like engine-state-codec.ts; sketches inside are their
// own versioned binary encodings (base64).
//
// Format 2 (this one): the record holds everything but the join's entries (pending predictions, joined ids,
// early outcomes: up to performance.maxPending each per model), which live one per field of the model's
// join hash (join-entry-codec.ts) and are written as they change; the record keeps their counts, checked
// when both are loaded. Format 1 (0.1.0) held the entries inline, as positional tuples: it is still decoded,
// and its entries are marked changed so the first write of the model moves them into the join hash.
// Lossless: decode(encode(s)) equals s, and encodes to the same bytes.
import type { EarlyOutcome, JoinState, PendingPrediction } from "../outcomes/join.ts";
import { createJoinChanges, createJoinCounters, loadJoinEntries, markAllJoinEntriesChanged } from "../outcomes/join.ts";
import type { PerformanceAccumulator } from "../outcomes/performance.ts";
import type { PerformanceReference } from "../outcomes/performance-signal.ts";
import type { ModelOutcomeState, PerformanceWindow, VersionPerformanceState } from "../outcomes/tracker.ts";
import { decodeNumericSketch, encodeNumericSketch } from "../sketch/numeric-sketch.ts";
import { EngineStateDecodeError } from "./state-decode-error.ts";
import { decodeJoinEntries } from "./join-entry-codec.ts";

export const OUTCOME_STATE_FORMAT = 2;
/** the format of 0.1.0, with the join's entries inline (decoded, never written) */
export const OUTCOME_STATE_FORMAT_INLINE_JOIN = 1;

const toB64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** eventId, modelVersion, windowId, timestamp, predictedClass, prediction, confidence[, segments] */
type PendingJson =
  | [string, string, string, number, string | null, number | null, number | null]
  | [string, string, string, number, string | null, number | null, number | null, Record<string, string>];

type AccumulatorJson = Omit<PerformanceAccumulator, "classes" | "labelDelay"> & {
  classes: [string, { support: number; hits: number }][];
  labelDelay: string;
};

type ReferenceJson = Omit<PerformanceReference, "total"> & { total: AccumulatorJson };

type WindowJson = Omit<PerformanceWindow, "accumulator" | "segments"> & {
  accumulator: AccumulatorJson;
  segments?: [string, AccumulatorJson][];
};

type VersionJson = Omit<VersionPerformanceState, "window" | "warmup" | "reference" | "segmentWarmup" | "segmentReferences"> & {
  window: WindowJson;
  warmup: AccumulatorJson[];
  reference: ReferenceJson | null;
  segmentWarmup?: [string, AccumulatorJson[]][];
  segmentReferences?: [string, ReferenceJson][];
};

interface OutcomeStateJson {
  v: 2;
  modelId: string;
  join: {
    /** how many entries the join hash holds per collection */
    sizes: { pending: number; joined: number; early: number };
    nextSeq: number;
    predictionWatermark: number;
    outcomeWatermark: number;
    /** a jump of outcome time being confirmed (join.ts), absent when none */
    pendingOutcomeJump?: { firstTime: number; count: number };
    counters: JoinState["counters"];
  };
  versions: VersionJson[];
}

/** Format 1 (0.1.0): the join's entries inline. */
interface InlineJoinOutcomeStateJson {
  v: 1;
  modelId: string;
  join: {
    pending: PendingJson[];
    joined: [string, number][];
    early: [string, EarlyOutcome][];
    predictionWatermark: number;
    outcomeWatermark: number;
    /** only while a jump of the outcome watermark is being confirmed: older records stay byte-identical */
    pendingOutcomeJump?: { firstTime: number; count: number };
    counters: JoinState["counters"];
  };
  versions: VersionJson[];
}

function accumulatorToJson(a: PerformanceAccumulator): AccumulatorJson {
  return { ...a, classes: [...a.classes].map(([k, r]) => [k, { ...r }]), labelDelay: toB64(encodeNumericSketch(a.labelDelay)) };
}

function accumulatorFromJson(j: AccumulatorJson): PerformanceAccumulator {
  return { ...j, classes: new Map(j.classes), labelDelay: decodeNumericSketch(fromB64(j.labelDelay)) };
}

function pendingFromJson(j: PendingJson): [string, PendingPrediction] {
  const [id, modelVersion, windowId, timestamp, predictedClass, prediction, confidence, segments] = j;
  const p: PendingPrediction = { modelVersion, windowId, timestamp, predictedClass, prediction, confidence };
  if (segments !== undefined) p.segments = { ...segments };
  return [id, p];
}

function referenceToJson(r: PerformanceReference): ReferenceJson {
  return { ...r, total: accumulatorToJson(r.total) };
}

function referenceFromJson(r: ReferenceJson): PerformanceReference {
  return { ...r, total: accumulatorFromJson(r.total) };
}

function pendingToJson(id: string, p: PendingPrediction): PendingJson {
  const base: PendingJson = [id, p.modelVersion, p.windowId, p.timestamp, p.predictedClass, p.prediction, p.confidence];
  return p.segments === undefined ? base : [...base, { ...p.segments }];
}

function versionsToJson(state: ModelOutcomeState): VersionJson[] {
  return [...state.versions.values()].map((v) => {
    const { segmentWarmup, segmentReferences, ...rest } = v;
    const { segments, ...window } = v.window;
    const out: VersionJson = {
      ...rest,
      window: {
        ...window,
        accumulator: accumulatorToJson(v.window.accumulator),
        ...(segments === undefined ? {} : { segments: [...segments].map(([k, a]) => [k, accumulatorToJson(a)]) }),
      },
      warmup: v.warmup.map(accumulatorToJson),
      reference: v.reference === null ? null : referenceToJson(v.reference),
    };
    // per-segment performance (tracker.ts), only with segments configured: older records stay byte-identical
    if (segmentWarmup !== undefined) out.segmentWarmup = [...segmentWarmup].map(([k, list]) => [k, list.map(accumulatorToJson)]);
    if (segmentReferences !== undefined) out.segmentReferences = [...segmentReferences].map(([k, r]) => [k, referenceToJson(r)]);
    return out;
  });
}

/**
 * The record of format 1 (0.1.0), the whole join inline, as 0.1.0 rewrote it with every change. Never
 * written by the service; kept so tests produce records of the old format and test/bench compares with it.
 */
export function encodeModelOutcomesInlineJoin(state: ModelOutcomeState): Uint8Array {
  const j = state.join;
  const json: InlineJoinOutcomeStateJson = {
    v: OUTCOME_STATE_FORMAT_INLINE_JOIN,
    modelId: state.modelId,
    join: {
      pending: [...j.pending].map(([id, p]) => pendingToJson(id, p)),
      joined: [...j.joined],
      early: [...j.early],
      predictionWatermark: j.predictionWatermark,
      outcomeWatermark: j.outcomeWatermark,
      ...(j.pendingOutcomeJump === undefined ? {} : { pendingOutcomeJump: { ...j.pendingOutcomeJump } }),
      counters: j.counters,
    },
    versions: versionsToJson(state),
  };
  return utf8.encode(JSON.stringify(json));
}

/** The model's outcome record without the join's entries (those: join-entry-codec.ts joinEntryChanges). */
export function encodeModelOutcomes(state: ModelOutcomeState): Uint8Array {
  const j = state.join;
  const json: OutcomeStateJson = {
    v: OUTCOME_STATE_FORMAT,
    modelId: state.modelId,
    join: {
      sizes: { pending: j.pending.size, joined: j.joined.size, early: j.early.size },
      nextSeq: j.nextSeq,
      predictionWatermark: j.predictionWatermark,
      outcomeWatermark: j.outcomeWatermark,
      ...(j.pendingOutcomeJump === undefined ? {} : { pendingOutcomeJump: { ...j.pendingOutcomeJump } }),
      counters: j.counters,
    },
    versions: versionsToJson(state),
  };
  return utf8.encode(JSON.stringify(json));
}

/**
 * A model's outcome state from its record and the fields of its join hash (`entries`; null: not loaded —
 * the state then has empty collections, for readers that need only the performance part, like `status`).
 */
export function decodeModelOutcomes(
  modelId: string,
  bytes: Uint8Array,
  entries: ReadonlyMap<string, Uint8Array> | null = null,
): ModelOutcomeState {
  let json: OutcomeStateJson | InlineJoinOutcomeStateJson;
  try {
    json = JSON.parse(fromUtf8.decode(bytes)) as OutcomeStateJson | InlineJoinOutcomeStateJson;
  } catch (err) {
    throw new EngineStateDecodeError(`stored outcome state of model ${modelId} is not JSON: ${(err as Error).message}`, {
      part: "outcomes",
      modelId,
    });
  }
  if (json.v !== OUTCOME_STATE_FORMAT && json.v !== OUTCOME_STATE_FORMAT_INLINE_JOIN) {
    throw new EngineStateDecodeError(`stored outcome state of model ${modelId} has unknown format ${(json as { v: unknown }).v}`, {
      part: "outcomes",
      modelId,
    });
  }
  const versions = new Map<string, VersionPerformanceState>();
  for (const v of json.versions) {
    const { segmentWarmup, segmentReferences, ...rest } = v;
    const { segments, ...window } = v.window;
    const version: VersionPerformanceState = {
      ...rest,
      window: { ...window, accumulator: accumulatorFromJson(v.window.accumulator) },
      warmup: v.warmup.map(accumulatorFromJson),
      reference: v.reference === null ? null : referenceFromJson(v.reference),
    };
    if (segments !== undefined) version.window.segments = new Map(segments.map(([k, a]) => [k, accumulatorFromJson(a)]));
    if (segmentWarmup !== undefined) version.segmentWarmup = new Map(segmentWarmup.map(([k, list]) => [k, list.map(accumulatorFromJson)]));
    if (segmentReferences !== undefined) version.segmentReferences = new Map(segmentReferences.map(([k, r]) => [k, referenceFromJson(r)]));
    versions.set(v.modelVersion, version);
  }
  const join: JoinState = {
    pending: new Map(),
    joined: new Map(),
    early: new Map(),
    predictionWatermark: json.join.predictionWatermark,
    outcomeWatermark: json.join.outcomeWatermark,
    ...(json.join.pendingOutcomeJump === undefined ? {} : { pendingOutcomeJump: { ...json.join.pendingOutcomeJump } }),
    // counters added later start at 0 for records written before them
    counters: { ...createJoinCounters(), ...json.join.counters },
    nextSeq: 0,
    changes: createJoinChanges(),
  };
  if (json.v === OUTCOME_STATE_FORMAT_INLINE_JOIN) {
    join.pending = new Map(json.join.pending.map(pendingFromJson));
    join.joined = new Map(json.join.joined);
    join.early = new Map(json.join.early);
    // the next write of this model moves the entries into its join hash (and writes format 2)
    markAllJoinEntriesChanged(join);
  } else {
    join.nextSeq = json.join.nextSeq;
    if (entries !== null) {
      loadJoinEntries(join, decodeJoinEntries(modelId, entries));
      const want = json.join.sizes;
      if (join.pending.size !== want.pending || join.joined.size !== want.joined || join.early.size !== want.early) {
        const held = `${join.pending.size}/${join.joined.size}/${join.early.size}`;
        throw new EngineStateDecodeError(
          `stored outcome join of model ${modelId} holds ${held} pending/joined/early entries, its record says ` +
            `${want.pending}/${want.joined}/${want.early}`,
          { part: "outcomes", modelId },
        );
      }
    }
  }
  return { modelId, join, versions };
}
