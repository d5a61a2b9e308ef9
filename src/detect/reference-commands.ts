// The operator's commands on a model version's reference, applied when the partition reaches their control
// record (events/control-record.ts), in offset order and atomically with the state they change — so a
// rebuild from the retained history applies them again at the same place. Both drop the pinned reference
// (or the capture in progress) and capture a new one from the windows that close from now on, by the
// model's current baseline settings (warmupWindows, referenceDurationMs, seasonality) — as for a new model
// version, but without one. The windows before the command cannot serve: the drifted ones never entered the
// rolling baseline, and the rolling baseline restarts too (it holds the behaviour the operator disowned).
// Until the new reference is pinned the version is not evaluated. The retrain cooldown, window numbering
// and counters stay.
// - `baseline repin` ("accept the new normal"): the status returns to ok and an open incident ends (named
//   in the BaselineEvent).
// - `baseline reset` ("that reference was wrong"): status and an open incident stay as the last evaluation
//   left them, until the first window compared with the new reference.
import type { BaselineEvent } from "../events/types.ts";
import type { ControlRecord } from "../events/control-record.ts";
import type { EngineContext, PartitionState } from "./engine.ts";
import { createHysteresis } from "./hysteresis.ts";
import { createRollingBaseline } from "../baseline/rolling.ts";
import { deterministicId } from "./ids.ts";

/** Applies the control record to the partition's state; null when the partition has no state of that model version. */
export function applyReferenceCommand(state: PartitionState, control: ControlRecord, ctx: EngineContext): BaselineEvent | null {
  const version = state.models.get(control.modelId)?.versions.get(control.modelVersion);
  if (version === undefined) return null;
  const settings = ctx.settingsFor(control.modelId).baseline;
  const previous = version.reference;
  const repin = control.command === "baseline.repin";
  const endedIncident = repin && version.incident !== null && version.incident.open ? version.incident.id : null;
  version.reference = null;
  version.warmup = [];
  version.capture = null;
  version.rolling = createRollingBaseline();
  version.maxAgeRequestedFor = null;
  if (repin) {
    version.hysteresis = createHysteresis();
    version.incident = null;
  }
  // the new normal's top k segments are discovered again in the open window (windows/segments.ts)
  if (version.segments !== undefined) {
    delete version.segments;
    state.dirtyHot.add(control.modelId);
  }
  state.dirtyCold.add(control.modelId);
  return {
    type: "baseline",
    eventId: deterministicId("baseline", control.requestId, control.modelId, control.modelVersion, String(state.partition)),
    kind: repin ? "reference_repinned" : "reference_reset",
    modelId: control.modelId,
    modelVersion: control.modelVersion,
    partition: state.partition,
    requestId: control.requestId,
    requestedAt: control.requestedAt,
    previousReference: previous === null ? null : { kind: "reference", id: previous.id, count: previous.count },
    endedIncidentId: endedIncident,
    capture: {
      warmupWindows: settings.warmupWindows,
      referenceDurationMs: settings.referenceDurationMs ?? null,
      seasonality: settings.seasonality,
    },
    emittedAt: ctx.clock(),
  };
}
