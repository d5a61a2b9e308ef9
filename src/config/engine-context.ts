// Builds the engine's context from the resolved config (the shell supplies the clock).
import type { ResolvedConfig } from "./load.ts";
import type { Baseline } from "../baseline/baseline.ts";
import type { EngineContext } from "../detect/engine.ts";

export function engineContextFrom(
  config: ResolvedConfig,
  clock: () => number,
  importedReference?: (modelId: string, modelVersion: string) => Baseline | undefined,
): EngineContext {
  return {
    settingsFor: (modelId) => config.settingsFor(modelId),
    limits: {
      maxModels: config.limits.maxModels,
      maxVersionsPerModel: config.limits.maxVersionsPerModel,
      maxFeaturesPerModel: config.limits.maxFeaturesPerModel,
      maxCategories: config.limits.maxCategories,
    },
    configuredModels: new Set(Object.keys(config.models)),
    // field by field, not a spread: a spread's result had another hidden class from one context to the next,
    // and the per-event bounds check, compiled for one, deoptimised when a later context reached it
    eventTime: {
      maxFutureSkewMs: config.eventTime.maxFutureSkewMs,
      maxPastSkewMs: config.eventTime.maxPastSkewMs,
      maxForwardJumpMs: config.eventTime.maxForwardJumpMs,
      forwardJumpConfirmations: config.eventTime.forwardJumpConfirmations,
    },
    clock,
    importedReference,
  };
}
