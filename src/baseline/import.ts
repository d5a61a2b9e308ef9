// Reference baselines imported from training or validation data (`drift-detector baseline import`):
// the same sketches a window builds, over a file of PredictionEvents, one baseline per model version.
import type { PredictionEvent } from "../events/types.ts";
import {
  addEventToSignals,
  createFeatureRegistry,
  createSignalSketches,
  type FeatureRegistry,
  type SignalLimits,
  type SignalSketches,
} from "../windows/signals.ts";
import type { Baseline } from "./baseline.ts";

export interface BaselineBuilder {
  modelId: string;
  modelVersion: string;
  signals: SignalSketches;
  registry: FeatureRegistry;
  count: number;
  start: number;
  end: number;
}

/** Accumulates events per model version. Pure over its own data. */
export class ReferenceBaselineBuilder {
  private readonly builders = new Map<string, BaselineBuilder>();

  constructor(private readonly limits: SignalLimits) {}

  add(event: PredictionEvent): void {
    const key = `${event.modelId}\u0000${event.modelVersion}`;
    let b = this.builders.get(key);
    if (b === undefined) {
      b = {
        modelId: event.modelId,
        modelVersion: event.modelVersion,
        signals: createSignalSketches(),
        registry: createFeatureRegistry(),
        count: 0,
        start: event.timestamp,
        end: event.timestamp,
      };
      this.builders.set(key, b);
    }
    addEventToSignals(b.signals, b.registry, event, this.limits);
    b.count++;
    if (event.timestamp < b.start) b.start = event.timestamp;
    if (event.timestamp > b.end) b.end = event.timestamp;
  }

  /** One reference baseline per model version seen; `label` names the source (e.g. the file). */
  build(label: string): { modelId: string; modelVersion: string; baseline: Baseline }[] {
    return [...this.builders.values()].map((b) => ({
      modelId: b.modelId,
      modelVersion: b.modelVersion,
      baseline: {
        kind: "reference",
        id: `${b.modelId}@${b.modelVersion}/reference/import:${label}`,
        count: b.count,
        start: b.start,
        end: b.end,
        source: "import",
        signals: b.signals,
      },
    }));
  }
}
