// `drift-detector baseline reset` as the service applies it. The CLI does not touch partition state: the
// service owns it (in memory, written back fenced by offset), so a rewrite behind its back would be
// overwritten by its next commit or would have to move the fence. Instead the CLI records a control
// record — per model version a reset generation in Redis (state/keys.ts baselineResetsKey) — and the
// service applies it: before each batch it reads the generations, and a version whose state applied an
// older one drops its reference and warmup here; the change goes to Redis with that batch's atomic
// commit like any other. Idempotent (the state remembers the generation it applied), crash-safe (an
// uncommitted application is redone after reload) and the same on every replica and partition.
// The rolling baseline restarts too (it holds the behaviour the operator just disowned, and the next
// windows would be compared with it); kept are the status and an open incident. The next `warmupWindows`
// windows capture the new reference and are not evaluated (as for a new version), so the status stays
// what the last evaluation made it until the first window compared with the new baselines.
import { createRollingBaseline } from "../baseline/rolling.ts";
import type { PartitionState } from "./engine.ts";

export interface AppliedReset {
  modelId: string;
  modelVersion: string;
  generation: number;
  /** id of the reference dropped; null when the version had none yet (its warmup restarted) */
  dropped: string | null;
}

/** Applies every reset requested (`generation(model, version)`) that the state has not applied yet. */
export function applyBaselineResets(state: PartitionState, generation: (modelId: string, modelVersion: string) => number): AppliedReset[] {
  const applied: AppliedReset[] = [];
  for (const model of state.models.values()) {
    for (const version of model.versions.values()) {
      const wanted = generation(model.modelId, version.modelVersion);
      if (wanted <= version.resetGeneration) continue;
      applied.push({
        modelId: model.modelId,
        modelVersion: version.modelVersion,
        generation: wanted,
        dropped: version.reference?.id ?? null,
      });
      version.reference = null;
      version.warmup = [];
      version.capture = null;
      version.rolling = createRollingBaseline();
      version.maxAgeRequestedFor = null;
      version.resetGeneration = wanted;
      state.dirtyCold.add(model.modelId);
    }
  }
  return applied;
}
