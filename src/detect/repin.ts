// Re-pinning a model version's reference ("accept the new normal"; `drift-detector baseline repin`), applied
// when the partition's control record is reached (events/control-record.ts). The pinned reference is
// dropped and a new one is captured from the windows that close from now on, by the model's current
// baseline settings (warmupWindows, referenceDurationMs, seasonality) — as for a new model version, but
// without one. The windows before the command cannot serve: the drifted ones never entered the rolling
// baseline. Until the new reference is pinned the version is not evaluated; its status returns to ok and
// an open incident ends (named in the BaselineEvent) and the rolling baseline starts empty (it holds the old
// normal). The retrain cooldown, window numbering and counters stay.
import type { BaselineEvent } from "../events/types.ts";
import type { ControlRecord } from "../events/control-record.ts";
import type { EngineContext, PartitionState } from "./engine.ts";
import { createHysteresis } from "./hysteresis.ts";
import { createRollingBaseline } from "../baseline/rolling.ts";
import { deterministicId } from "./ids.ts";

/** Applies a repin to the partition's state; null when the partition has no state of that model version. */
export function repinReference(state: PartitionState, control: ControlRecord, ctx: EngineContext): BaselineEvent | null {
  const version = state.models.get(control.modelId)?.versions.get(control.modelVersion);
  if (version === undefined) return null;
  const settings = ctx.settingsFor(control.modelId).baseline;
  const previous = version.reference;
  const incident = version.incident !== null && version.incident.open ? version.incident.id : null;
  version.reference = null;
  version.warmup = [];
  version.capture = null;
  // the rolling windows are the old normal too (the drifted ones never entered): compared with them, the
  // new normal would stay a warning
  version.rolling = createRollingBaseline();
  version.hysteresis = createHysteresis();
  version.incident = null;
  state.dirtyCold.add(control.modelId);
  return {
    type: "baseline",
    eventId: deterministicId("baseline", control.requestId, control.modelId, control.modelVersion, String(state.partition)),
    kind: "reference_repinned",
    modelId: control.modelId,
    modelVersion: control.modelVersion,
    partition: state.partition,
    requestId: control.requestId,
    requestedAt: control.requestedAt,
    previousReference: previous === null ? null : { kind: "reference", id: previous.id, count: previous.count },
    endedIncidentId: incident,
    capture: {
      warmupWindows: settings.warmupWindows,
      referenceDurationMs: settings.referenceDurationMs ?? null,
      seasonality: settings.seasonality,
    },
    emittedAt: ctx.clock(),
  };
}
