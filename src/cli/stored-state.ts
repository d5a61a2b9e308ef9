// What the service persisted, as the operator's commands (status, baseline show, retrain) read it: every
// partition of (kafka.groupId, the predictions topic) that has state in Redis, decoded with the same codec
// the service loads it with (src/state/engine-state-codec.ts). Read-only: nothing here writes.
import type { ResolvedConfig } from "../config/load.ts";
import { STATUS_RANK } from "../detect/evaluate.ts";
import type { LastWindow, ModelState, PartitionState, VersionState } from "../detect/engine.ts";
import type { Status } from "../events/types.ts";
import { decodePartitionState } from "../state/engine-state-codec.ts";
import type { RedisStateStore } from "../state/redis-store.ts";

/** One model version in one partition (a model keyed by modelId lives in one partition; unkeyed, in several). */
export interface StoredVersion {
  partition: number;
  /** the partition's watermark: the largest event time it accepted (-Infinity before any) */
  watermark: number;
  model: ModelState;
  version: VersionState;
}

export async function readStoredPartitions(store: RedisStateStore, config: ResolvedConfig): Promise<PartitionState[]> {
  const group = config.kafka.groupId;
  const topic = config.kafka.topics.predictions;
  const states: PartitionState[] = [];
  for (const partition of await store.storedPartitions(group, topic)) {
    const stored = await store.loadPartition({ group, topic, partition });
    states.push(decodePartitionState(partition, stored.meta, stored.models, config.limits));
  }
  return states;
}

/** Every stored model version, by model id then version then partition; `modelId` keeps one model's. */
export function storedVersions(states: readonly PartitionState[], modelId?: string): StoredVersion[] {
  const out: StoredVersion[] = [];
  for (const s of states) {
    for (const model of s.models.values()) {
      if (modelId !== undefined && model.modelId !== modelId) continue;
      for (const version of model.versions.values()) out.push({ partition: s.partition, watermark: s.maxEventTime, model, version });
    }
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort(
    (a, b) => cmp(a.model.modelId, b.model.modelId) || cmp(a.version.modelVersion, b.version.modelVersion) || a.partition - b.partition,
  );
}

/** A model version over all partitions that hold it: the worst status, an open incident, the latest window. */
export interface VersionSummary {
  modelId: string;
  modelVersion: string;
  status: Status;
  incidentId: string | null;
  lastWindow: LastWindow | null;
  /** largest event time of the version */
  lastEventTime: number;
}

export function summariseVersion(parts: readonly StoredVersion[]): VersionSummary {
  let status: Status = "ok";
  let incidentId: string | null = null;
  let lastWindow: LastWindow | null = null;
  let lastEventTime = Number.NEGATIVE_INFINITY;
  for (const { version } of parts) {
    if (STATUS_RANK[version.hysteresis.status] > STATUS_RANK[status]) status = version.hysteresis.status;
    if (version.incident?.open === true) incidentId ??= version.incident.id;
    if (version.lastWindow !== null && (lastWindow === null || version.lastWindow.end > lastWindow.end)) lastWindow = version.lastWindow;
    lastEventTime = Math.max(lastEventTime, version.lastEventTime);
  }
  return { modelId: parts[0].model.modelId, modelVersion: parts[0].version.modelVersion, status, incidentId, lastWindow, lastEventTime };
}

/** Groups stored versions by (model, version), in storedVersions' order. */
export function byModelVersion(versions: readonly StoredVersion[]): StoredVersion[][] {
  const groups = new Map<string, StoredVersion[]>();
  for (const v of versions) {
    const key = `${v.model.modelId}\u0000${v.version.modelVersion}`;
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(v);
  }
  return [...groups.values()];
}

export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : "-";
}
