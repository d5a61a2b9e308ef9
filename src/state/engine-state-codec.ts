// Serialisation of the engine's state for the StateStore: per model a "hot" part (open windows, rewritten
// on every batch) and a "cold" part (baselines, closed windows, hysteresis, retrain state — rewritten only
// when a window closes), plus partition meta. JSON envelopes with a version field; sketches inside are
// their own versioned binary encodings (base64).
import type { Baseline } from "../baseline/baseline.ts";
import type { ClosedWindow, OpenWindow } from "../windows/window.ts";
import type { SignalLimits, SignalSketches } from "../windows/signals.ts";
import { restoreRollingBaseline } from "../baseline/rolling.ts";
import type { HysteresisState } from "../detect/hysteresis.ts";
import type { RetrainState } from "../detect/retrain.ts";
import { createVersionState, type ModelState, type PartitionState, type VersionState } from "../detect/engine.ts";
import { createRetrainState } from "../detect/retrain.ts";
import { decodeNumericSketch, encodeNumericSketch } from "../sketch/numeric-sketch.ts";
import { decodeCategoryCounts, encodeCategoryCounts } from "../sketch/categories.ts";

export const ENGINE_STATE_FORMAT = 1;

const DEFAULT_SIGNAL_LIMITS: SignalLimits = { maxFeaturesPerModel: 100, maxCategories: 50 };

/** Stored engine state that cannot be read. */
export class EngineStateDecodeError extends Error {
  override readonly name = "EngineStateDecodeError";
  constructor(
    message: string,
    readonly context: { part: "hot" | "cold" | "meta"; modelId?: string },
  ) {
    super(message);
  }
}

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
type BaselineJson = Omit<Baseline, "signals"> & { signals: SignalsJson };

const closedToJson = (w: ClosedWindow): ClosedWindowJson => ({ ...w, signals: signalsToJson(w.signals) });
const closedFromJson = (w: ClosedWindowJson): ClosedWindow => ({ ...w, signals: signalsFromJson(w.signals) });

interface HotJson {
  v: number;
  versions: {
    modelVersion: string;
    window: OpenWindowJson;
    kinds: [string, "numeric" | "categorical"][];
    droppedValues: number;
    lastEventTime: number;
  }[];
}

interface ColdJson {
  v: number;
  retrain: RetrainState;
  versions: {
    modelVersion: string;
    warmup: ClosedWindowJson[];
    reference: BaselineJson | null;
    rolling: ClosedWindowJson[];
    /** split of the rolling windows into front and back stacks (see baseline/rolling.ts) */
    rollingFront: number;
    hysteresis: HysteresisState;
    windowsClosed: number;
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
      lastEventTime: v.lastEventTime,
    })),
  };
  return utf8.encode(JSON.stringify(json));
}

export function encodeModelCold(model: ModelState): Uint8Array {
  const json: ColdJson = {
    v: ENGINE_STATE_FORMAT,
    retrain: model.retrain,
    versions: [...model.versions.values()].map((v) => ({
      modelVersion: v.modelVersion,
      warmup: v.warmup.map(closedToJson),
      reference: v.reference === null ? null : { ...v.reference, signals: signalsToJson(v.reference.signals) },
      rolling: v.rolling.windows.map(closedToJson),
      rollingFront: v.rolling.frontCount,
      hysteresis: v.hysteresis,
      windowsClosed: v.windowsClosed,
    })),
  };
  return utf8.encode(JSON.stringify(json));
}

function parseEnvelope<T extends { v: number }>(bytes: Uint8Array, part: "hot" | "cold" | "meta", modelId?: string): T {
  let json: T;
  try {
    json = JSON.parse(fromUtf8.decode(bytes)) as T;
  } catch (err) {
    throw new EngineStateDecodeError(`stored ${part} state is not JSON: ${(err as Error).message}`, { part, modelId });
  }
  if (json.v !== ENGINE_STATE_FORMAT) throw new EngineStateDecodeError(`stored ${part} state has unknown format ${json.v}`, { part, modelId });
  return json;
}

/** Rebuild a model from its stored parts (either may be absent for a model that never closed a window). */
export function decodeModel(modelId: string, hot: Uint8Array | null, cold: Uint8Array | null, limits: SignalLimits = DEFAULT_SIGNAL_LIMITS): ModelState {
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
    const c = parseEnvelope<ColdJson>(cold, "cold", modelId);
    retrain = c.retrain;
    for (const cv of c.versions) {
      const v = versionFor(cv.modelVersion);
      v.warmup = cv.warmup.map(closedFromJson);
      v.reference = cv.reference === null ? null : { ...cv.reference, signals: signalsFromJson(cv.reference.signals) };
      v.rolling = restoreRollingBaseline(cv.rolling.map(closedFromJson), cv.rollingFront, limits);
      v.hysteresis = cv.hysteresis;
      v.windowsClosed = cv.windowsClosed;
    }
  }
  if (hot !== null && hot.byteLength > 0) {
    const h = parseEnvelope<HotJson>(hot, "hot", modelId);
    for (const hv of h.versions) {
      const v = versionFor(hv.modelVersion);
      v.window = { ...hv.window, signals: signalsFromJson(hv.window.signals) };
      v.registry = { kinds: new Map(hv.kinds), droppedValues: hv.droppedValues };
      v.lastEventTime = hv.lastEventTime;
    }
  }
  return { modelId, versions, retrain };
}

interface MetaJson {
  v: number;
  partition: number;
  maxEventTime: number;
  nextDeadline: number | null;
  counters: PartitionState["counters"];
}

export function encodePartitionMeta(state: PartitionState): Uint8Array {
  const json: MetaJson = {
    v: ENGINE_STATE_FORMAT,
    partition: state.partition,
    maxEventTime: state.maxEventTime,
    nextDeadline: Number.isFinite(state.nextDeadline) ? state.nextDeadline : null,
    counters: state.counters,
  };
  return utf8.encode(JSON.stringify(json));
}

export function decodePartitionState(
  partition: number,
  meta: Uint8Array | null,
  models: ReadonlyMap<string, { hot: Uint8Array | null; cold: Uint8Array | null }>,
  /** the config's limits; they only shape the derived rolling aggregates, never the stored data */
  limits: SignalLimits = DEFAULT_SIGNAL_LIMITS,
): PartitionState {
  const m = meta === null ? null : parseEnvelope<MetaJson>(meta, "meta");
  const state: PartitionState = {
    partition,
    maxEventTime: m?.maxEventTime ?? 0,
    nextDeadline: m?.nextDeadline ?? Number.POSITIVE_INFINITY,
    models: new Map(),
    counters: m?.counters ?? { accepted: 0, late: 0, modelLimit: 0, windowsClosed: 0, windowsMergedForward: 0 },
    dirtyHot: new Set(),
    dirtyCold: new Set(),
  };
  for (const id of [...models.keys()].sort()) {
    const parts = models.get(id);
    if (parts !== undefined) state.models.set(id, decodeModel(id, parts.hot, parts.cold, limits));
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
  const json: BaselineEnvelope = { v: ENGINE_STATE_FORMAT, modelId, modelVersion, baseline: { ...baseline, signals: signalsToJson(baseline.signals) } };
  return utf8.encode(JSON.stringify(json));
}

export function decodeBaseline(bytes: Uint8Array): { modelId: string; modelVersion: string; baseline: Baseline } {
  const json = parseEnvelope<BaselineEnvelope>(bytes, "cold");
  return { modelId: json.modelId, modelVersion: json.modelVersion, baseline: { ...json.baseline, signals: signalsFromJson(json.baseline.signals) } };
}
