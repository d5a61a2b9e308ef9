// Builds the engine's context from the resolved config (the shell supplies the clock).
import type { ResolvedConfig } from "./load.ts";
import type { Baseline } from "../baseline/baseline.ts";
import type { EngineContext, EngineLimits } from "../detect/engine.ts";
import type { ModelSettings } from "../detect/settings.ts";
import type { EventTimeBounds } from "../windows/event-time.ts";

/**
 * The context as a class instance, not an object literal: it is made once per run (replay: once per
 * replay), and a literal that runs again later in the process gets its allocation boilerplate then, which
 * widens the recorded types of its fields; the per-event code V8 had compiled against them (applyPrediction
 * reads ctx.eventTime) was thrown away at the start of the next replay. A constructor's stores keep the types.
 */
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
