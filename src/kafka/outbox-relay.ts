// Drains a partition's outbox (written atomically with its state and offset) to Kafka, then acks.
// At-least-once on the wire: a crash between send and ack republishes the same entries with the same
// deterministic ids, which consumers use to deduplicate. Retrain requests first take the model's
// cooldown lock in Redis; when another request holds it, the entry is acked without publishing.
//
// Sizing: sends are packed to the topic's real `max.message.bytes` (MessageSizeLimits), dead letters are
// cut to fit it, and an entry that cannot fit at all goes to the DLQ topic as a small fallback record
// naming it. When the broker still rejects records (limit lowered since it was read, a record it deems
// invalid), the relay re-reads the limits and halves the send until the culprit stands alone, then
// sends its fallback; a fallback the broker rejects too is dropped with an error log. Every other send
// failure (broker down, authorisation, timeouts) is thrown: the pipeline retries it with backoff, and the
// waiting outbox shows in health, metrics and an alert. So a record the broker refuses can never stall
// the partition, and nothing is retried that cannot succeed.
import type { Producer } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import type { Logger } from "../logging/logger.ts";
import type { DetectorMetrics } from "../metrics/detector-metrics.ts";
import type { OutboxEntry, PartitionRef, StateStore } from "../state/port.ts";
import { deadLetterFallback, outputFallback, type FallbackCause } from "./dead-letter.ts";
import type { OutputEncoder, OutputMessage } from "./producer.ts";
import { packBySize, recordBudget, recordBytes } from "./record-size.ts";
import { classifySendError } from "./send-errors.ts";
import type { MessageSizeLimits } from "./topic-admin.ts";

export interface OutboxRelayDeps {
  store: StateStore;
  producer: Pick<Producer, "send">;
  encoder: OutputEncoder;
  config: ResolvedConfig;
  metrics: DetectorMetrics;
  log: Logger;
  limits: MessageSizeLimits;
}

export interface RelayResult {
  published: number;
  suppressed: number;
  /** entries delivered as a fallback record on the DLQ topic instead of themselves */
  fallbacks: number;
  /** entries whose fallback record was rejected too (logged with everything that names them) */
  dropped: number;
}

/** One record to send: the entry itself, or the fallback record that stands in for it. */
interface Outgoing {
  entry: OutboxEntry;
  topic: string;
  message: OutputMessage;
  fallback: boolean;
}

type Delivery = "delivered" | "fallback" | "dropped";

class PageSender {
  readonly deliveries = new Map<string, { delivery: Delivery; cause?: string }>();

  constructor(
    private readonly ref: PartitionRef,
    private readonly deps: OutboxRelayDeps,
  ) {}

  private budgetOf(topic: string): number {
    return recordBudget(this.deps.limits.limitFor(topic));
  }

  private fallbackOf(entry: OutboxEntry, why: FallbackCause): Outgoing {
    const dlq = this.deps.config.kafka.topics.deadLetter;
    const message =
      entry.kind === "dead-letter"
        ? deadLetterFallback(entry, why)
        : outputFallback(entry, { topic: this.ref.topic, partition: this.ref.partition }, why);
    this.deps.log.warn(
      { partition: this.ref.partition, id: entry.id, topic: entry.topic, cause: why.cause, detail: why.detail, headers: message.headers },
      "output cannot be delivered as is: sending a fallback record to the dead-letter topic",
    );
    return { entry, topic: dlq, message, fallback: true };
  }

  /** The entry's record under its topic's current limit, or its fallback. */
  prepare(entry: OutboxEntry): Outgoing {
    const encoded = this.deps.encoder.encode(entry, this.budgetOf(entry.topic));
    if (encoded.ok) return { entry, topic: entry.topic, message: encoded.message, fallback: false };
    return this.fallbackOf(entry, { cause: encoded.cause, detail: encoded.detail });
  }

  /** Sends in order per topic, packed to each topic's limit. */
  async sendAll(items: readonly Outgoing[]): Promise<void> {
    const byTopic = new Map<string, Outgoing[]>();
    for (const item of items) {
      const list = byTopic.get(item.topic) ?? [];
      list.push(item);
      byTopic.set(item.topic, list);
    }
    for (const [topic, list] of byTopic) {
      for (const group of packBySize(list, (i) => recordBytes(i.message), this.budgetOf(topic))) await this.sendGroup(topic, group);
    }
  }

  private async sendGroup(topic: string, group: Outgoing[]): Promise<void> {
    try {
      await this.deps.producer.send({ topic, acks: -1, messages: group.map((i) => i.message) });
    } catch (err) {
      const failure = classifySendError(err);
      this.deps.metrics.onOutputFailure(failure.reason);
      if (!failure.recordsRejected) throw err;
      const detail = err instanceof Error ? err.message : String(err);
      this.deps.log.warn(
        { partition: this.ref.partition, topic, records: group.length, reason: failure.reason, limit: this.deps.limits.limitFor(topic) },
        "broker rejected the records: re-reading the topic limit and sending smaller",
      );
      await this.deps.limits.refresh();
      if (group.length > 1) {
        // halve and re-encode under the limit as it is now, until the rejected record stands alone
        const half = Math.ceil(group.length / 2);
        await this.sendAll(group.slice(0, half).map((i) => (i.fallback ? i : this.prepare(i.entry))));
        await this.sendAll(group.slice(half).map((i) => (i.fallback ? i : this.prepare(i.entry))));
        return;
      }
      const [only] = group;
      if (!only.fallback) {
        await this.sendAll([this.fallbackOf(only.entry, { cause: failure.reason, detail })]);
        return;
      }
      this.deliveries.set(only.entry.id, { delivery: "dropped", cause: failure.reason });
      this.deps.log.error(
        { partition: this.ref.partition, id: only.entry.id, topic, reason: failure.reason, headers: only.message.headers, err },
        "the dead-letter topic rejected even the fallback record: dropping the output (this log line is its only trace)",
      );
      return;
    }
    for (const item of group) {
      this.deliveries.set(
        item.entry.id,
        item.fallback ? { delivery: "fallback", cause: item.message.headers["delivery-fallback"] } : { delivery: "delivered" },
      );
    }
  }
}

/** Publishes every pending entry of the partition, oldest first, in pages. */
export async function drainOutbox(ref: PartitionRef, deps: OutboxRelayDeps, pageSize = 500): Promise<RelayResult> {
  const result: RelayResult = { published: 0, suppressed: 0, fallbacks: 0, dropped: 0 };
  for (;;) {
    const entries = await deps.store.pendingOutbox(ref, pageSize);
    if (entries.length === 0) break;
    const sender = new PageSender(ref, deps);
    const toSend: OutboxEntry[] = [];
    for (const entry of entries) {
      if (entry.kind === "retrain") {
        const modelId = entry.headers["model-id"] ?? "";
        const cooldownMs = deps.config.settingsFor(modelId).retrain.cooldownMs;
        const lock = await deps.store.acquireRetrainLock(modelId, entry.id, cooldownMs);
        if (!lock.acquired) {
          result.suppressed++;
          deps.metrics.onRetrainSuppressed(modelId);
          deps.log.info(
            { modelId, requestId: entry.id, holder: lock.holder },
            "retrain request suppressed: another request holds the cooldown lock",
          );
          continue;
        }
      }
      toSend.push(entry);
    }
    await sender.sendAll(toSend.map((entry) => sender.prepare(entry)));
    await deps.store.ackOutbox(
      ref,
      entries.map((e) => e.id),
    );
    for (const { id, kind, headers } of toSend) {
      const outcome = sender.deliveries.get(id) ?? { delivery: "delivered" };
      if (outcome.delivery === "fallback") {
        result.fallbacks++;
        deps.metrics.onOutputFallback(kind, outcome.cause ?? "unknown");
        continue;
      }
      if (outcome.delivery === "dropped") {
        result.dropped++;
        deps.metrics.onOutputDropped(kind);
        continue;
      }
      result.published++;
      const model = headers["model-id"] ?? "";
      if (kind === "retrain") deps.metrics.onRetrainRequestEmitted(model, headers["model-version"] ?? "", headers.reason ?? "");
      else if (kind === "drift") deps.metrics.onDriftEventEmitted(model, headers["model-version"] ?? "", headers.status ?? "");
    }
    if (entries.length < pageSize) break;
  }
  return result;
}
