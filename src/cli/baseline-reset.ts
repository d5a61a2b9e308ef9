// `drift-detector baseline reset`: drop a model version's reference so capture starts again ("that reference
// was wrong"). A control record per partition (cli/control-records.ts) that the service applies in order with
// the events, like `baseline repin` but keeping the status and an open incident
// (detect/reference-commands.ts). It also deletes an imported reference of the version, so that one does not
// come back for a later state of the version.
import type { ResolvedConfig } from "../config/load.ts";
import type { ControlRecord } from "../events/control-record.ts";
import type { RedisStateStore } from "../state/redis-store.ts";
import { defaultRequestId, publishControlRecords } from "./control-records.ts";
import { readStoredPartitions, storedVersions } from "./stored-state.ts";

export interface RequestedReset {
  modelId: string;
  modelVersion: string;
  requestId: string;
  /** the reference the stored state holds now (null: none, or no stored state of the version) */
  reference: string | null;
  importedDeleted: boolean;
  topic: string;
  partitions: number[];
}

export async function requestBaselineResets(opts: {
  config: ResolvedConfig;
  store: RedisStateStore;
  modelId: string;
  /** default: every version of the model with stored state */
  modelVersion?: string;
  requestId?: string;
  requestedAt: number;
}): Promise<RequestedReset[]> {
  const stored = storedVersions(await readStoredPartitions(opts.store, opts.config), opts.modelId);
  const versions = opts.modelVersion !== undefined ? [opts.modelVersion] : [...new Set(stored.map((v) => v.version.modelVersion))];
  const controls: ControlRecord[] = versions.map((modelVersion) => ({
    type: "control",
    command: "baseline.reset",
    requestId: opts.requestId ?? defaultRequestId("reset", opts.modelId, modelVersion, opts.requestedAt),
    modelId: opts.modelId,
    modelVersion,
    requestedAt: opts.requestedAt,
  }));
  const published = await publishControlRecords(opts.config, controls);
  const out: RequestedReset[] = [];
  for (const [i, control] of controls.entries()) {
    const reference = stored.find((v) => v.version.modelVersion === control.modelVersion && v.version.reference !== null)?.version.reference
      ?.id;
    const importedDeleted = await opts.store.deleteReferenceBaseline(control.modelId, control.modelVersion);
    out.push({
      modelId: control.modelId,
      modelVersion: control.modelVersion,
      requestId: control.requestId,
      reference: reference ?? null,
      importedDeleted,
      topic: published[i].topic,
      partitions: [...published[i].offsets.keys()],
    });
  }
  return out;
}

export function formatRequestedResets(list: readonly RequestedReset[]): string {
  return list
    .map(
      (r) =>
        `baseline reset ${r.requestId}: control records for ${r.modelId}@${r.modelVersion} on ${r.topic} partitions ` +
        `${r.partitions.join(",")} (reference now: ${r.reference ?? "none"}${r.importedDeleted ? "; imported reference deleted" : ""}); ` +
        "each partition holding the version drops it in order with its events and captures a new one " +
        "(drift-detector status shows warmup meanwhile)",
    )
    .join("\n");
}
