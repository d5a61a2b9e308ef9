// `drift-detector baseline reset`: asks the service to drop a model version's reference so capture starts
// again. Safe against a running service because it writes no partition state: it records a reset
// generation in Redis that the service applies itself, in its own atomic commits (detect/baseline-reset.ts
// explains why). It also deletes an imported reference of the version, so that one does not come back.
import type { ResolvedConfig } from "../config/load.ts";
import type { RedisStateStore } from "../state/redis-store.ts";
import { readStoredPartitions, storedVersions } from "./stored-state.ts";

export interface RequestedReset {
  modelId: string;
  modelVersion: string;
  generation: number;
  /** the reference the stored state holds now (null: none, or no stored state of the version) */
  reference: string | null;
}

export async function requestBaselineResets(opts: {
  config: ResolvedConfig;
  store: RedisStateStore;
  modelId: string;
  /** default: every version of the model with stored state */
  modelVersion?: string;
}): Promise<RequestedReset[]> {
  const stored = storedVersions(await readStoredPartitions(opts.store, opts.config), opts.modelId);
  const versions = opts.modelVersion !== undefined ? [opts.modelVersion] : [...new Set(stored.map((v) => v.version.modelVersion))];
  const out: RequestedReset[] = [];
  for (const modelVersion of versions) {
    const reference = stored.find((v) => v.version.modelVersion === modelVersion && v.version.reference !== null)?.version.reference?.id;
    const generation = await opts.store.requestBaselineReset(opts.modelId, modelVersion);
    out.push({ modelId: opts.modelId, modelVersion, generation, reference: reference ?? null });
  }
  return out;
}

export function formatRequestedResets(list: readonly RequestedReset[]): string {
  return list
    .map(
      (r) =>
        `baseline reset: ${r.modelId}@${r.modelVersion} reset ${r.generation} requested (reference now: ${r.reference ?? "none"}); ` +
        "the service drops it with the next batch of each partition holding the version and captures a new one " +
        "(drift-detector status shows warmup meanwhile)",
    )
    .join("\n");
}
