// Drains a partition's outbox (written atomically with its state and offset) to Kafka, then acks.
// At-least-once on the wire: a crash between send and ack republishes the same entries with the same
// deterministic ids, which consumers use to deduplicate. Retrain requests first take the model's
// cooldown lock in Redis; when another request holds it, the entry is acked without publishing.
import type { Producer } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import type { Logger } from "../logging/logger.ts";
import type { DetectorMetrics } from "../metrics/detector-metrics.ts";
import type { OutboxEntry, PartitionRef, StateStore } from "../state/port.ts";
import type { OutputEncoder } from "./producer.ts";

export interface OutboxRelayDeps {
  store: StateStore;
  producer: Producer;
  encoder: OutputEncoder;
  config: ResolvedConfig;
  metrics: DetectorMetrics;
  log: Logger;
}

export interface RelayResult {
  published: number;
  suppressed: number;
}

/** Publishes every pending entry of the partition, oldest first, in pages. */
export async function drainOutbox(ref: PartitionRef, deps: OutboxRelayDeps, pageSize = 500): Promise<RelayResult> {
  const result: RelayResult = { published: 0, suppressed: 0 };
  for (;;) {
    const entries = await deps.store.pendingOutbox(ref, pageSize);
    if (entries.length === 0) break;
    const toSend: OutboxEntry[] = [];
    for (const entry of entries) {
      if (entry.kind === "retrain") {
        const modelId = entry.headers["model-id"] ?? "";
        const cooldownMs = deps.config.settingsFor(modelId).retrain.cooldownMs;
        const lock = await deps.store.acquireRetrainLock(modelId, entry.id, cooldownMs);
        if (!lock.acquired) {
          result.suppressed++;
          deps.metrics.onRetrainSuppressed(modelId);
          deps.log.info({ modelId, requestId: entry.id, holder: lock.holder }, "retrain request suppressed: another request holds the cooldown lock");
          continue;
        }
      }
      toSend.push(entry);
    }
    if (toSend.length > 0) {
      const byTopic = new Map<string, ReturnType<OutputEncoder["encode"]>[]>();
      for (const entry of toSend) {
        const list = byTopic.get(entry.topic) ?? [];
        list.push(deps.encoder.encode(entry));
        byTopic.set(entry.topic, list);
      }
      await deps.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    }
    await deps.store.ackOutbox(
      ref,
      entries.map((e) => e.id),
    );
    for (const { kind, headers } of toSend) {
      const model = headers["model-id"] ?? "";
      if (kind === "retrain") deps.metrics.onRetrainRequestEmitted(model, headers["model-version"] ?? "", headers.reason ?? "");
      else if (kind === "drift") deps.metrics.onDriftEventEmitted(model, headers["model-version"] ?? "", headers.status ?? "");
    }
    result.published += toSend.length;
    if (entries.length < pageSize) break;
  }
  return result;
}
