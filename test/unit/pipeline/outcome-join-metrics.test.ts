// drift_outcome_joins_total counts what each replica applied, chunk by chunk: a model's first chunk (the one
// that creates its outcome state) counts, and a partition that moves away and back does not count the other
// replica's work again. Summed over the replicas that ran, each counter equals the join's own counter.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { decodeOutcomeMessage, decodePredictionMessage } from "../../../src/events/codec.ts";
import type { OutcomeEvent, PredictionEvent } from "../../../src/events/types.ts";
import { createLogger } from "../../../src/logging/logger.ts";
import { createDetectorMetrics, OUTCOME_JOIN_RESULTS, type DetectorMetrics } from "../../../src/metrics/detector-metrics.ts";
import type { JoinCounters } from "../../../src/outcomes/join.ts";
import type { ProcessorSettings, SourceMessage } from "../../../src/pipeline/partition-processor.ts";
import { createPartitionRuntime, ReferenceBaselines, type PartitionRuntime } from "../../../src/pipeline/partition-runtime.ts";
import { PartitionStates } from "../../../src/pipeline/partition-states.ts";
import { decodePartitionState } from "../../../src/state/engine-state-codec.ts";
import { InMemoryStateBackend, InMemoryStateStore } from "../../../src/state/memory-store.ts";
import type { PartitionRef } from "../../../src/state/port.ts";
import { predictionStream } from "../../support/engine-streams.ts";
import { parseExposition, seriesId } from "../metrics/exposition.ts";

const config = resolveConfig({
  defaults: {
    window: { maxEvents: 60, minEvents: 10 },
    baseline: { warmupWindows: 2 },
    performance: { enabled: true, maxOutcomes: 50, minOutcomes: 10, referenceWindows: 2 },
  },
});
const TOPIC = config.kafka.topics.predictions;
const OUTCOMES = config.kafka.topics.outcomes;
const REF: PartitionRef = { group: config.kafka.groupId, topic: TOPIC, partition: 0 };
const CHUNK = 40;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const controls = { resolveOffset: () => {}, heartbeat: async () => {}, isRunning: () => true, isStale: () => false };

const EVENTS: PredictionEvent[] = [...predictionStream(120, { seed: 3 })];
const MODEL = EVENTS[0].modelId;
const outcomeOf = (e: PredictionEvent): OutcomeEvent => ({
  eventId: e.eventId,
  modelId: e.modelId,
  timestamp: e.timestamp + 1000,
  actualClass: e.predictedClass ?? "pos",
});
const messages = (values: unknown[], from: number): SourceMessage[] =>
  values.map((v, i) => ({ offset: String(from + i), key: Buffer.from(MODEL), value: json(v) }));

function replica(backend: InMemoryStateBackend): { runtime: PartitionRuntime; metrics: DetectorMetrics } {
  const store = new InMemoryStateStore({ backend });
  const references = new ReferenceBaselines(store);
  const settings: ProcessorSettings = {
    sourceTopic: TOPIC,
    outcomesSourceTopic: OUTCOMES,
    topics: config.kafka.topics,
    maxDeadLetterValueBytes: 1024,
    engine: { ...engineContextFrom(config, () => 0, references.lookup), outcomes: true },
  };
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes: 1 << 20 };
  const metrics = createDetectorMetrics({ defaultMetrics: false });
  const runtime = createPartitionRuntime({
    store,
    states: new PartitionStates(store, REF.group, TOPIC, config.limits),
    settings,
    decoder: {
      decode: (v) => decodePredictionMessage(v, decodeContext),
      decodeOutcome: (v) => decodeOutcomeMessage(v, decodeContext),
      canFetch: () => false,
      fetch: async () => {},
    },
    references,
    drainOutbox: async (ref) => {
      const pending = await store.pendingOutbox(ref, 1000);
      await store.ackOutbox(
        ref,
        pending.map((e) => e.id),
      );
      return { published: pending.length, suppressed: 0 };
    },
    commitOffset: async () => {},
    metrics,
    log: createLogger({ level: "silent" }),
    chunkSize: CHUNK,
    clock: () => 1_764_000_000_000,
    backoff: { initialMs: 1, maxMs: 1, jitter: 0 },
    isStopping: () => false,
    onForget: () => {},
    onLoaded: () => {},
    positions: { committed: async () => null, logStart: async () => "0", seek: () => {} },
  });
  return { runtime, metrics };
}

const batch = (topic: string, msgs: SourceMessage[]) => ({
  topic,
  partition: 0,
  highWatermark: String(Number(msgs.at(-1)!.offset) + 1),
  messages: msgs,
});

async function exported(metrics: DetectorMetrics): Promise<Record<string, number>> {
  const e = parseExposition(await metrics.registry.metrics());
  return Object.fromEntries(
    Object.keys(OUTCOME_JOIN_RESULTS).map((result) => [
      result,
      e.get(seriesId("drift_outcome_joins_total", { model: MODEL, result })) ?? 0,
    ]),
  );
}

async function storedCounters(backend: InMemoryStateBackend): Promise<JoinCounters> {
  const stored = await new InMemoryStateStore({ backend }).loadPartition(REF);
  const counters = decodePartitionState(0, stored.meta, stored.models, config.limits).models.get(MODEL)?.outcomes?.join.counters;
  if (counters === undefined) throw new Error("no join state stored");
  return counters;
}

const asExported = (c: JoinCounters) =>
  Object.fromEntries(Object.entries(OUTCOME_JOIN_RESULTS).map(([result, key]) => [result, c[key]])) as Record<string, number>;

describe("drift_outcome_joins_total on the partition runtime", () => {
  it("counts the chunk that creates a model's outcome state: 30 outcomes before any prediction are 30 early", async () => {
    const backend = new InMemoryStateBackend();
    const { runtime, metrics } = replica(backend);
    const early = EVENTS.slice(0, 30).map(outcomeOf);
    await runtime.runBatch(batch(OUTCOMES, messages([...early, early[0]], 0)), controls); // one chunk, one duplicate
    expect(await exported(metrics)).toMatchObject({ early: 30, duplicate: 1, matched: 0 });
    await runtime.runBatch(batch(TOPIC, messages(EVENTS.slice(0, 40), 0)), controls); // the 30 join now
    expect(await exported(metrics)).toMatchObject({ early: 30, duplicate: 1, matched: 30 });
    expect(await exported(metrics)).toEqual(asExported(await storedCounters(backend)));
  });

  it("a restarted replica counts its first chunk, and a partition moving away and back is not counted twice", async () => {
    const backend = new InMemoryStateBackend();
    const a = replica(backend);
    await a.runtime.runBatch(batch(TOPIC, messages(EVENTS.slice(0, 40), 0)), controls);
    await a.runtime.runBatch(batch(OUTCOMES, messages(EVENTS.slice(0, 20).map(outcomeOf), 0)), controls);
    expect(await exported(a.metrics)).toMatchObject({ matched: 20 });

    // a restart (or rebalance): B loads the state and applies one chunk of 20 outcomes
    a.runtime.forget(0);
    const b = replica(backend);
    await b.runtime.runBatch(batch(OUTCOMES, messages(EVENTS.slice(20, 40).map(outcomeOf), 20)), controls);
    expect(await exported(b.metrics)).toMatchObject({ matched: 20 });

    // the partition comes back to A (B revoked): A counts only what it applies itself from now on
    b.runtime.forget(0);
    await a.runtime.runBatch(batch(TOPIC, messages(EVENTS.slice(40, 80), 40)), controls);
    await a.runtime.runBatch(batch(OUTCOMES, messages(EVENTS.slice(40, 50).map(outcomeOf), 40)), controls);
    expect(await exported(a.metrics)).toMatchObject({ matched: 30 });

    const total = asExported(await storedCounters(backend));
    const [ea, eb] = [await exported(a.metrics), await exported(b.metrics)];
    for (const result of Object.keys(OUTCOME_JOIN_RESULTS)) expect(ea[result] + eb[result], result).toBe(total[result]);
  });
});
