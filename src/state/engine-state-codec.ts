// Serialisation of the engine's state for the StateStore: per model a "hot" part (open windows, rewritten
// on every batch) and a "cold" part (baselines, closed windows, hysteresis, retrain state — rewritten only
// when a window closes), plus partition meta. JSON envelopes with a version field; sketches inside are
// their own versioned binary encodings (base64).
//
// Cold state comes in two formats:
// - format 1, self-contained (encodeModelCold): every closed window inline. Used for snapshots and state
//   comparisons, and still read when found in a store written by an earlier version.
// - format 2, by reference (encodeModelColdRecord): closed windows are immutable once closed, so each is
//   stored once as a part of its own (encodeColdPart, key coldPartKey) and the record lists part keys.
//   A window close then writes one window plus a small record instead of the whole rolling baseline
//   (rolling baseline of 24 windows: about 250 KB → 25 KB per close).
// Both decode to the same ModelState, so a state restored from either encodes (format 1) to the same bytes.
import type { Baseline, ReferenceSlot, SeasonalReference } from "../baseline/baseline.ts";
import type { ReferenceCapture } from "../baseline/capture.ts";
import type { ClosedWindow, OpenWindow } from "../windows/window.ts";
import { createFeatureRegistry, type SignalLimits, type SignalSketches } from "../windows/signals.ts";
import { restoreRollingBaseline } from "../baseline/rolling.ts";
import type { HysteresisState } from "../detect/hysteresis.ts";
import type { RetrainState } from "../detect/retrain.ts";
import type { IncidentState } from "../detect/incident.ts";
import {
  createPartitionState,
  createVersionState,
  type LastWindow,
  type ModelState,
  type PartitionState,
  type VersionState,
} from "../detect/engine.ts";
import { createRetrainState } from "../detect/retrain.ts";
import { decodeNumericSketch, encodeNumericSketch } from "../sketch/numeric-sketch.ts";
import { decodeCategoryCounts, encodeCategoryCounts } from "../sketch/categories.ts";
import { EngineStateDecodeError } from "./state-decode-error.ts";
import { decodeModelOutcomes } from "./outcome-state-codec.ts";

export const ENGINE_STATE_FORMAT = 1;
/** cold record with closed windows stored as separate parts */
export const COLD_BY_REFERENCE_FORMAT = 2;

const DEFAULT_SIGNAL_LIMITS: SignalLimits = { maxFeaturesPerModel: 100, maxCategories: 50 };

export { EngineStateDecodeError };

const toB64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
const fromB64 = (s: string) => new Uint8Array(Buffer.from(s, "base64"));
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

interface SignalsJson {
  n: [string, string][];
  c: [string, string][];
  t: [string, number][];
}

function signalsToJson(s: SignalSketches): SignalsJson {
  return {
    n: [...s.numeric].map(([k, v]) => [k, toB64(encodeNumericSketch(v))]),
    c: [...s.categorical].map(([k, v]) => [k, toB64(encodeCategoryCounts(v))]),
    t: [...s.typeMismatches],
  };
}

function signalsFromJson(j: SignalsJson): SignalSketches {
  return {
    numeric: new Map(j.n.map(([k, v]) => [k, decodeNumericSketch(fromB64(v))])),
    categorical: new Map(j.c.map(([k, v]) => [k, decodeCategoryCounts(fromB64(v))])),
    typeMismatches: new Map(j.t),
  };
}

type OpenWindowJson = Omit<OpenWindow, "signals"> & { signals: SignalsJson };
type ClosedWindowJson = Omit<ClosedWindow, "signals"> & { signals: SignalsJson };
interface SlotJson extends Omit<ReferenceSlot, "signals"> {
  slot: number;
  signals: SignalsJson;
}
type SeasonalJson = Omit<SeasonalReference, "slots"> & { slots: SlotJson[] };
type BaselineJson = Omit<Baseline, "signals" | "seasonal"> & { signals: SignalsJson; seasonal?: SeasonalJson };
type DispersionJson = [string, { sum: number[]; n: number[] }][];
type CaptureJson = Omit<ReferenceCapture, "signals" | "slots" | "dispersion" | "slotDispersion"> & {
  signals: SignalsJson;
  slots: SlotJson[];
  dispersion: DispersionJson;
  slotDispersion: DispersionJson;
};

const slotsToJson = (slots: ReadonlyMap<number, ReferenceSlot>): SlotJson[] =>
  [...slots].map(([slot, s]) => ({ slot, ...s, signals: signalsToJson(s.signals) }));
const slotsFromJson = (slots: SlotJson[]): Map<number, ReferenceSlot> =>
  new Map(slots.map(({ slot, ...s }) => [slot, { ...s, signals: signalsFromJson(s.signals) }]));

function baselineToJson(b: Baseline): BaselineJson {
  const { seasonal, ...rest } = b;
  const json: BaselineJson = { ...rest, signals: signalsToJson(b.signals) };
  // absent, not undefined, for a reference without seasons: its bytes stay those of earlier versions
  if (seasonal !== undefined) json.seasonal = { ...seasonal, slots: slotsToJson(seasonal.slots) };
  return json;
}

function baselineFromJson(j: BaselineJson): Baseline {
  const { seasonal, ...rest } = j;
  const b: Baseline = { ...rest, signals: signalsFromJson(j.signals) };
  if (seasonal !== undefined) b.seasonal = { ...seasonal, slots: slotsFromJson(seasonal.slots) };
  return b;
}

function captureToJson(c: ReferenceCapture): CaptureJson {
  return {
    ...c,
    signals: signalsToJson(c.signals),
    slots: slotsToJson(c.slots),
    dispersion: [...c.dispersion],
    slotDispersion: [...c.slotDispersion],
  };
}

function captureFromJson(j: CaptureJson): ReferenceCapture {
  return {
    ...j,
    signals: signalsFromJson(j.signals),
    slots: slotsFromJson(j.slots),
    dispersion: new Map(j.dispersion),
    slotDispersion: new Map(j.slotDispersion),
  };
}

const closedToJson = (w: ClosedWindow): ClosedWindowJson => ({ ...w, signals: signalsToJson(w.signals) });
const closedFromJson = (w: ClosedWindowJson): ClosedWindow => ({ ...w, signals: signalsFromJson(w.signals) });

/** format 2: like ColdJson, with closed windows replaced by the keys of their parts */
/** Format 2 names its closed windows by part key; format 1 holds them inline. */
type ColdRecordJson = ColdJson<string>;

interface ColdPartJson {
  v: number;
  window: ClosedWindowJson;
}

interface HotJson {
  v: number;
  versions: {
    modelVersion: string;
    window: OpenWindowJson;
    kinds: [string, "numeric" | "categorical"][];
    droppedValues: number;
    /** null before the version's first event */
    lastEventTime: number | null;
    /** segments chosen per attribute key (windows/segments.ts); absent without segments configured or while discovering */
    segments?: [string, string[]][];
    /** while the segments are discovered: per key [capacity, total, [value, count, error][]] (sketch/heavy-hitters.ts) */
    segmentDiscovery?: [string, number, number, [string, number, number][]][];
  }[];
}

interface ColdJson<W = ClosedWindowJson> {
  v: number;
  retrain: RetrainState;
  versions: {
    modelVersion: string;
    warmup: W[];
    /** a capture by duration or season in progress; absent otherwise */
    capture?: CaptureJson;
    reference: BaselineJson | null;
    rolling: W[];
    /** split of the rolling windows into front and back stacks (see baseline/rolling.ts) */
    rollingFront: number;
    hysteresis: HysteresisState;
    /** absent in records written before incidents existed */
    incident?: IncidentState | null;
    windowsClosed: number;
    /** absent in records written before `drift-detector status` and `retrain.maxAgeMs` */
    lastWindow?: LastWindow | null;
    maxAgeRequestedFor?: string | null;
    /* records written before `baseline reset` became a control record also hold a resetGeneration (ignored) */
  }[];
}

export function encodeModelHot(model: ModelState): Uint8Array {
  const json: HotJson = {
    v: ENGINE_STATE_FORMAT,
    versions: [...model.versions.values()].map((v) => ({
      modelVersion: v.modelVersion,
      window: { ...v.window, signals: signalsToJson(v.window.signals) },
      kinds: [...v.registry.kinds],
      droppedValues: v.registry.droppedValues,
      lastEventTime: Number.isFinite(v.lastEventTime) ? v.lastEventTime : null,
      ...(v.segments === undefined || v.segments.admitted.size === 0
        ? {}
        : { segments: [...v.segments.admitted].map(([k, s]) => [k, [...s]]) }),
      ...(v.segments?.discovery === undefined || v.segments.discovery.size === 0
        ? {}
        : {
            segmentDiscovery: [...v.segments.discovery].map(([k, h]) => [
              k,
              h.capacity,
              h.total,
              h.entries.map((e) => [e.value, e.count, e.error] as [string, number, number]),
            ]),
          }),
    })),
  };
  return utf8.encode(JSON.stringify(json));
}

export function encodeModelCold(model: ModelState): Uint8Array {
  return utf8.encode(JSON.stringify(coldJson(model, ENGINE_STATE_FORMAT, (_, w) => closedToJson(w))));
}

/** The cold record with each closed window written by `window` (inline in format 1, a part key in 2). */
function coldJson<W>(model: ModelState, format: number, window: (modelVersion: string, w: ClosedWindow) => W): ColdJson<W> {
  return {
    v: format,
    retrain: model.retrain,
    versions: [...model.versions.values()].map((v) => ({
      modelVersion: v.modelVersion,
      warmup: v.warmup.map((w) => window(v.modelVersion, w)),
      ...(v.capture === null ? {} : { capture: captureToJson(v.capture) }),
      reference: v.reference === null ? null : baselineToJson(v.reference),
      rolling: v.rolling.windows.map((w) => window(v.modelVersion, w)),
      rollingFront: v.rolling.frontCount,
      hysteresis: v.hysteresis,
      incident: v.incident,
      windowsClosed: v.windowsClosed,
      lastWindow: v.lastWindow,
      maxAgeRequestedFor: v.maxAgeRequestedFor,
    })),
  };
}

/**
 * Key of a closed window's part. Unique among a model's windows: the window's first event (its input
 * offset) belongs to no other window of the partition; version and seq keep it readable.
 */
export function coldPartKey(modelVersion: string, w: ClosedWindow): string {
  return `w${w.seq}@${w.firstOffset}/${modelVersion}`;
}

/** The closed windows a model's cold record refers to, by part key (a window in warmup and rolling once). */
export function coldPartsOf(model: ModelState): Map<string, ClosedWindow> {
  const parts = new Map<string, ClosedWindow>();
  for (const v of model.versions.values()) {
    for (const w of v.warmup) parts.set(coldPartKey(v.modelVersion, w), w);
    for (const w of v.rolling.windows) parts.set(coldPartKey(v.modelVersion, w), w);
  }
  return parts;
}

/** One closed window as a part of its own (it never changes once closed). */
export function encodeColdPart(w: ClosedWindow): Uint8Array {
  const json: ColdPartJson = { v: ENGINE_STATE_FORMAT, window: closedToJson(w) };
  return utf8.encode(JSON.stringify(json));
}

/** Cold state in format 2: the record only; the windows it names are the parts of coldPartsOf(model). */
export function encodeModelColdRecord(model: ModelState): Uint8Array {
  const record: ColdRecordJson = coldJson(model, COLD_BY_REFERENCE_FORMAT, coldPartKey);
  return utf8.encode(JSON.stringify(record));
}

/** What a cold write changes in the store, and the parts stored after it. */
export interface ColdChange {
  /** format-2 record */
  cold: Uint8Array;
  /** windows not stored yet (or stored under their key as another object) */
  putParts: Map<string, Uint8Array>;
  /** stored parts the record no longer refers to (windows that left the rolling baseline or warmup) */
  deleteParts: string[];
  /** the model's parts once the write landed: the `stored` of its next cold write */
  parts: Map<string, ClosedWindow>;
}

/**
 * The cold write of a model given the parts already stored for it (key → the window object written
 * under it, null for a stored part the state does not refer to). Closed windows are never mutated, so
 * a window written once is not encoded again.
 */
export function encodeColdChange(model: ModelState, stored: ReadonlyMap<string, ClosedWindow | null> | undefined): ColdChange {
  const parts = coldPartsOf(model);
  const putParts = new Map<string, Uint8Array>();
  for (const [key, w] of parts) if (stored?.get(key) !== w) putParts.set(key, encodeColdPart(w));
  const deleteParts: string[] = [];
  for (const key of stored?.keys() ?? []) if (!parts.has(key)) deleteParts.push(key);
  return { cold: encodeModelColdRecord(model), putParts, deleteParts, parts };
}

/** The parts a decoded model found in the store, as encodeColdChange expects them. */
export function storedColdParts(model: ModelState, storedKeys: Iterable<string>): Map<string, ClosedWindow | null> {
  const current = coldPartsOf(model);
  const stored = new Map<string, ClosedWindow | null>();
  for (const key of storedKeys) stored.set(key, current.get(key) ?? null);
  return stored;
}

function parseEnvelope<T extends { v: number }>(
  bytes: Uint8Array,
  part: "hot" | "cold" | "coldPart" | "meta",
  modelId?: string,
  formats: readonly number[] = [ENGINE_STATE_FORMAT],
): T {
  let json: T;
  try {
    json = JSON.parse(fromUtf8.decode(bytes)) as T;
  } catch (err) {
    throw new EngineStateDecodeError(`stored ${part} state is not JSON: ${(err as Error).message}`, { part, modelId });
  }
  if (!formats.includes(json.v)) throw new EngineStateDecodeError(`stored ${part} state has unknown format ${json.v}`, { part, modelId });
  return json;
}

/** Decodes the parts a format-2 record names, each once, so a window in warmup and rolling stays one object. */
function partResolver(modelId: string, parts: ReadonlyMap<string, Uint8Array> | undefined): (key: string) => ClosedWindow {
  const decoded = new Map<string, ClosedWindow>();
  return (key) => {
    let w = decoded.get(key);
    if (w === undefined) {
      const bytes = parts?.get(key);
      if (bytes === undefined) {
        throw new EngineStateDecodeError(`stored cold state of model ${modelId} refers to window ${key}, which is not stored`, {
          part: "coldPart",
          modelId,
          partKey: key,
        });
      }
      w = closedFromJson(parseEnvelope<ColdPartJson>(bytes, "coldPart", modelId).window);
      decoded.set(key, w);
    }
    return w;
  };
}

/**
 * Rebuild a model from its stored parts (hot or cold may be absent for a model that never closed a
 * window); `parts` are the windows a format-2 cold record refers to.
 */
export function decodeModel(
  modelId: string,
  hot: Uint8Array | null,
  cold: Uint8Array | null,
  limits: SignalLimits = DEFAULT_SIGNAL_LIMITS,
  parts?: ReadonlyMap<string, Uint8Array>,
): ModelState {
  const versions = new Map<string, VersionState>();
  const versionFor = (name: string) => {
    let v = versions.get(name);
    if (v === undefined) {
      v = createVersionState(name);
      versions.set(name, v);
    }
    return v;
  };
  let retrain = createRetrainState();
  if (cold !== null && cold.byteLength > 0) {
    const c = parseEnvelope<ColdJson | ColdRecordJson>(cold, "cold", modelId, [ENGINE_STATE_FORMAT, COLD_BY_REFERENCE_FORMAT]);
    retrain = c.retrain;
    const windowOf = c.v === COLD_BY_REFERENCE_FORMAT ? partResolver(modelId, parts) : null;
    for (const cv of c.versions) {
      const v = versionFor(cv.modelVersion);
      // format 1 holds the windows inline, format 2 their part keys
      const windows = (list: ClosedWindowJson[] | string[]): ClosedWindow[] =>
        windowOf === null ? (list as ClosedWindowJson[]).map(closedFromJson) : (list as string[]).map(windowOf);
      v.warmup = windows(cv.warmup);
      v.capture = cv.capture === undefined ? null : captureFromJson(cv.capture);
      v.reference = cv.reference === null ? null : baselineFromJson(cv.reference);
      v.rolling = restoreRollingBaseline(windows(cv.rolling), cv.rollingFront, limits);
      v.hysteresis = cv.hysteresis;
      v.incident = cv.incident ?? null;
      v.windowsClosed = cv.windowsClosed;
      v.lastWindow = cv.lastWindow ?? null;
      v.maxAgeRequestedFor = cv.maxAgeRequestedFor ?? null;
    }
  }
  if (hot !== null && hot.byteLength > 0) {
    const h = parseEnvelope<HotJson>(hot, "hot", modelId);
    for (const hv of h.versions) {
      const v = versionFor(hv.modelVersion);
      v.window = { ...hv.window, signals: signalsFromJson(hv.window.signals) };
      v.registry = createFeatureRegistry(new Map(hv.kinds), hv.droppedValues);
      v.lastEventTime = hv.lastEventTime ?? Number.NEGATIVE_INFINITY;
      if (hv.segments !== undefined) v.segments = { admitted: new Map(hv.segments.map(([k, s]) => [k, [...s]])) };
      if (hv.segmentDiscovery !== undefined) {
        const discovery = new Map(
          hv.segmentDiscovery.map(([k, capacity, total, entries]) => [
            k,
            { capacity, total, entries: entries.map(([value, count, error]) => ({ value, count, error })) },
          ]),
        );
        v.segments = { admitted: v.segments?.admitted ?? new Map(), discovery };
      }
    }
  }
  return { modelId, versions, retrain };
}

interface MetaJson {
  v: number;
  partition: number;
  /** null before the partition's first event */
  maxEventTime: number | null;
  nextDeadline: number | null;
  /** absent in records written before forward jumps were confirmed */
  pendingForwardJump?: PartitionState["pendingForwardJump"];
  counters: PartitionState["counters"];
}

export function encodePartitionMeta(state: PartitionState): Uint8Array {
  const json: MetaJson = {
    v: ENGINE_STATE_FORMAT,
    partition: state.partition,
    maxEventTime: Number.isFinite(state.maxEventTime) ? state.maxEventTime : null,
    nextDeadline: Number.isFinite(state.nextDeadline) ? state.nextDeadline : null,
    ...(state.pendingForwardJump === null ? {} : { pendingForwardJump: state.pendingForwardJump }),
    counters: state.counters,
  };
  return utf8.encode(JSON.stringify(json));
}

export function decodePartitionState(
  partition: number,
  meta: Uint8Array | null,
  models: ReadonlyMap<
    string,
    {
      hot: Uint8Array | null;
      cold: Uint8Array | null;
      parts?: ReadonlyMap<string, Uint8Array>;
      /** ModelState.outcomes (outcome-state-codec.ts), absent for a model without outcome state */
      outcomes?: Uint8Array | null;
      /** the join's entries of the model (join-entry-codec.ts); absent: none stored */
      joinEntries?: ReadonlyMap<string, Uint8Array>;
    }
  >,
  /** the config's limits; they only shape the derived rolling aggregates, never the stored data */
  limits: SignalLimits = DEFAULT_SIGNAL_LIMITS,
): PartitionState {
  const m = meta === null ? null : parseEnvelope<MetaJson>(meta, "meta");
  // made as a fresh one is (one hidden class for every partition state), then given what was stored
  const state = createPartitionState(partition);
  state.maxEventTime = m?.maxEventTime ?? Number.NEGATIVE_INFINITY;
  state.nextDeadline = m?.nextDeadline ?? Number.POSITIVE_INFINITY;
  state.pendingForwardJump = m?.pendingForwardJump ?? null;
  // counters added later (timestampOutOfRange) start at 0 for records written before them
  Object.assign(state.counters, m?.counters);
  for (const id of [...models.keys()].sort()) {
    const stored = models.get(id);
    if (stored === undefined) continue;
    const model = decodeModel(id, stored.hot, stored.cold, limits, stored.parts);
    if (stored.outcomes != null && stored.outcomes.byteLength > 0)
      model.outcomes = decodeModelOutcomes(id, stored.outcomes, stored.joinEntries ?? new Map());
    state.models.set(id, model);
  }
  return state;
}

interface BaselineEnvelope {
  v: number;
  modelId: string;
  modelVersion: string;
  baseline: BaselineJson;
}

/** An imported reference baseline, as stored by `baseline import` (StateStore.putReferenceBaseline). */
export function encodeBaseline(modelId: string, modelVersion: string, baseline: Baseline): Uint8Array {
  const json: BaselineEnvelope = {
    v: ENGINE_STATE_FORMAT,
    modelId,
    modelVersion,
    baseline: baselineToJson(baseline),
  };
  return utf8.encode(JSON.stringify(json));
}

export function decodeBaseline(bytes: Uint8Array): { modelId: string; modelVersion: string; baseline: Baseline } {
  const json = parseEnvelope<BaselineEnvelope>(bytes, "cold");
  return {
    modelId: json.modelId,
    modelVersion: json.modelVersion,
    baseline: baselineFromJson(json.baseline),
  };
}
