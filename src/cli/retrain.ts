// `drift-detector retrain`: publishes a RetrainRequest with reason `manual` to the retrain topic (JSON or
// Avro, as kafka.outputFormat says), under the same cooldown as the service's requests: the per-model
// retrain lock in Redis (src/state/lua/acquireRetrainLock-1.lua). The lock is taken before publishing, so a
// manual request and an automatic one cannot both go out within one cooldown; it is released again if the
// publish fails. `--force` takes the lock whoever holds it: the forced request starts a new cooldown, so
// the service does not follow it with an automatic one.
import type { ResolvedConfig } from "../config/load.ts";
import { manualRetrainRequest } from "../detect/manual-retrain.ts";
import type { RetrainRequest } from "../events/types.ts";
import { retrainOutboxEntry } from "../kafka/output-entries.ts";
import type { OutboxEntry } from "../state/port.ts";
import type { RedisStateStore } from "../state/redis-store.ts";
import { byModelVersion, isoTime, readStoredPartitions, storedVersions, summariseVersion } from "./stored-state.ts";

export interface ManualRetrainOptions {
  config: ResolvedConfig;
  store: RedisStateStore;
  modelId: string;
  /** default: the model's version with the latest event time in the stored state */
  modelVersion?: string;
  note: string;
  force: boolean;
  /** wall clock of the request */
  now: number;
  publish(entry: OutboxEntry): Promise<void>;
}

export type ManualRetrainResult =
  | { kind: "published"; request: RetrainRequest; versionFrom: "option" | "state"; forcedOver: string | null }
  | { kind: "cooldown"; modelId: string; holder: string; until: number }
  | { kind: "no-state"; modelId: string };

/** Exit codes of `retrain` (README): 0 published, 1 nothing to retrain or a failure, 2 usage, 3 refused by the cooldown. */
export const RETRAIN_EXIT = { published: 0, "no-state": 1, cooldown: 3 } as const;

export async function requestManualRetrain(opts: ManualRetrainOptions): Promise<ManualRetrainResult> {
  const { config, store, modelId } = opts;
  const groups = byModelVersion(storedVersions(await readStoredPartitions(store, config), modelId)).map(summariseVersion);
  let summary = opts.modelVersion === undefined ? undefined : groups.find((g) => g.modelVersion === opts.modelVersion);
  if (opts.modelVersion === undefined) {
    if (groups.length === 0) return { kind: "no-state", modelId };
    summary = groups.reduce((a, b) => (b.lastEventTime > a.lastEventTime ? b : a));
  }
  const cooldownMs = config.settingsFor(modelId).retrain.cooldownMs;
  const request = manualRetrainRequest({
    modelId,
    modelVersion: opts.modelVersion ?? summary!.modelVersion,
    note: opts.note,
    severity: summary?.status ?? "ok",
    requestedAt: opts.now,
    cooldownMs,
    incidentId: summary?.incidentId ?? null,
    lastWindow: summary?.lastWindow?.id ?? null,
  });
  let forcedOver: string | null = null;
  if (opts.force) {
    forcedOver = (await store.retrainLockHolder(modelId))?.holder ?? null;
    await store.forceRetrainLock(modelId, request.requestId, cooldownMs);
  } else {
    const lock = await store.acquireRetrainLock(modelId, request.requestId, cooldownMs);
    if (!lock.acquired) {
      const held = await store.retrainLockHolder(modelId);
      return { kind: "cooldown", modelId, holder: lock.holder, until: opts.now + (held?.remainingMs ?? 0) };
    }
  }
  try {
    await opts.publish(retrainOutboxEntry(config.kafka.topics.retrain, request));
  } catch (err) {
    // the request never went out: it must not hold the cooldown
    await store.releaseRetrainLock(modelId, request.requestId).catch(() => false);
    throw err;
  }
  return { kind: "published", request, versionFrom: opts.modelVersion === undefined ? "state" : "option", forcedOver };
}

export function formatManualRetrain(r: ManualRetrainResult, topic: string): string {
  switch (r.kind) {
    case "published": {
      const q = r.request;
      const lines = [
        `retrain: published request ${q.requestId} to ${topic}: ${q.modelId}@${q.modelVersion}, reason manual, severity ${q.severity}`,
        `  note: ${q.note ?? ""}`,
        `  cooldown until ${isoTime(q.cooldownUntil)} (no other request for ${q.modelId} before then unless --force)`,
      ];
      if (r.versionFrom === "state")
        lines.push(`  version ${q.modelVersion}: the model's version with the latest events (--version picks another)`);
      if (r.forcedOver !== null && r.forcedOver !== q.requestId)
        lines.push(`  --force: replaced the cooldown held by request ${r.forcedOver}`);
      return lines.join("\n");
    }
    case "cooldown":
      return (
        `retrain: refused: ${r.modelId} is in its retrain cooldown until ${isoTime(r.until)} (held by request ${r.holder}).\n` +
        "  --force publishes anyway and starts a new cooldown."
      );
    case "no-state":
      return `retrain: no state of model ${r.modelId} in Redis (has the service seen it? is --config the service's?); --version names the version`;
  }
}
