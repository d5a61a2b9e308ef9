// Builds the engine's context from the resolved config (the shell supplies the clock).
import type { ResolvedConfig } from "./load.ts";
import type { Baseline } from "../baseline/baseline.ts";
import type { EngineContext, EngineLimits } from "../detect/engine.ts";
import type { ModelSettings } from "../detect/settings.ts";
import type { EventTimeBounds } from "../windows/event-time.ts";

/** A class instance, not a literal: made once per run, it keeps its fields' types (why: src/detect/outputs.ts). */
class ConfiguredEngineContext implements EngineContext {
  constructor(
    readonly settingsFor: (modelId: string) => ModelSettings,
    readonly limits: EngineLimits,
    readonly configuredModels: ReadonlySet<string>,
    readonly eventTime: EventTimeBounds,
    readonly clock: () => number,
    readonly importedReference: ((modelId: string, modelVersion: string) => Baseline | undefined) | undefined,
    readonly outcomes: boolean,
  ) {}
}

/** `outcomes`: the shell feeds outcomes (EngineContext.outcomes). */
export function engineContextFrom(
  config: ResolvedConfig,
  clock: () => number,
  importedReference?: (modelId: string, modelVersion: string) => Baseline | undefined,
  { outcomes = false }: { outcomes?: boolean } = {},
): EngineContext {
  return new ConfiguredEngineContext(
    (modelId) => config.settingsFor(modelId),
    {
      maxModels: config.limits.maxModels,
      maxVersionsPerModel: config.limits.maxVersionsPerModel,
      maxFeaturesPerModel: config.limits.maxFeaturesPerModel,
      maxCategories: config.limits.maxCategories,
    },
    new Set(Object.keys(config.models)),
    // field by field, not a spread: a spread's result had another hidden class from one context to the next,
    // and the per-event bounds check, compiled for one, deoptimised when a later context reached it
    {
      maxFutureSkewMs: config.eventTime.maxFutureSkewMs,
      maxPastSkewMs: config.eventTime.maxPastSkewMs,
      maxForwardJumpMs: config.eventTime.maxForwardJumpMs,
      forwardJumpConfirmations: config.eventTime.forwardJumpConfirmations,
    },
    clock,
    importedReference,
    outcomes,
  );
}
