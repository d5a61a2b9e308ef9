// Exactly-once join across crashes, without a broker: the partition runtime is fed predictions partition 0
// and outcomes partition 0 (co-partitioned) by a fake consumer that takes batches of either topic from
// Kafka's committed offsets in a fixed rule (the topic whose committed batch number is behind; predictions
// first), over InMemoryStateStore. A "crash" is an exception before or after any effectful step; a fresh
// replica continues from what Kafka and the store hold. Every run must end with the join counters, the
// state bytes, both stored offsets, both committed offsets and the published ids of an uninterrupted run.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { decodeOutcomeMessage, decodePredictionMessage } from "../../../src/events/codec.ts";
import type { OutcomeEvent } from "../../../src/events/types.ts";
import { createLogger } from "../../../src/logging/logger.ts";
import { createDetectorMetrics } from "../../../src/metrics/detector-metrics.ts";
import type { ProcessorSettings, SourceMessage } from "../../../src/pipeline/partition-processor.ts";
import { createPartitionRuntime, ReferenceBaselines, type PartitionRuntime } from "../../../src/pipeline/partition-runtime.ts";
import { PartitionStates } from "../../../src/pipeline/partition-states.ts";
import { decodePartitionState, encodeModelCold, encodeModelHot } from "../../../src/state/engine-state-codec.ts";
import { encodeModelOutcomes } from "../../../src/state/outcome-state-codec.ts";
import { InMemoryStateBackend, InMemoryStateStore } from "../../../src/state/memory-store.ts";
import type { OutboxEntry, PartitionRef, StateStore } from "../../../src/state/port.ts";
import { predictionStream } from "../../support/engine-streams.ts";
import { seededRandom } from "../../support/random.ts";

const config = resolveConfig({
  defaults: {
    window: { maxEvents: 60, minEvents: 10 },
    baseline: { warmupWindows: 2 },
    detection: { consecutiveWindows: 1 },
    performance: { enabled: true, maxOutcomes: 50, minOutcomes: 10, referenceWindows: 2 },
  },
});
const TOPIC = config.kafka.topics.predictions;
const OUTCOMES = config.kafka.topics.outcomes;
const REF: PartitionRef = { group: config.kafka.groupId, topic: TOPIC, partition: 0 };
const BATCH = 50;
const CHUNK = 20;
const log = createLogger({ level: "silent" });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

const EVENTS = [...predictionStream(160, { seed: 11 })];
const PREDICTIONS: SourceMessage[] = EVENTS.map((e, i) => ({ offset: String(i), key: Buffer.from(e.modelId), value: json(e) }));

/**
 * Outcomes of 4 in 5 predictions, 2 s of event time after them, in an order jittered by -40..+60
 * predictions (so some arrive before their prediction is read); every 25th repeated (a duplicate); 3 for
 * ids that were never predicted; two undecodable messages and one without an eventId (dead letters).
 */
const OUTCOME_INPUT: { messages: SourceMessage[]; expected: { joined: number; duplicates: number; unknown: number; dead: string[] } } =
  (() => {
    const r = seededRandom(5);
    const outcomes: { at: number; event: OutcomeEvent }[] = [];
    EVENTS.forEach((e, i) => {
      if (i % 5 === 4) return;
      const flipped = r.uniform() < 0.1;
      const actualClass = flipped ? (e.predictedClass === "pos" ? "neg" : "pos") : e.predictedClass!;
      outcomes.push({
        at: i + (r.uniform() * 100 - 40),
        event: { eventId: e.eventId, modelId: e.modelId, timestamp: e.timestamp + 2000, actualClass },
      });
    });
    outcomes.sort((a, b) => a.at - b.at);
    const values: Buffer[] = [];
    let duplicates = 0;
    outcomes.forEach(({ event }, k) => {
      values.push(json(event));
      if (k % 25 === 24) {
        values.push(json(event));
        duplicates++;
      }
    });
    const last = EVENTS[EVENTS.length - 1].timestamp;
    for (let u = 0; u < 3; u++)
      values.splice(20 + 40 * u, 0, json({ eventId: `never-${u}`, modelId: "m", timestamp: last, actualClass: "pos" }));
    values.splice(17, 0, Buffer.from("{not json"));
    values.splice(71, 0, json({ modelId: "m", timestamp: last, actualClass: "pos" }));
    values.splice(110, 0, Buffer.from([0xff, 0xfe]));
    const messages = values.map((value, i) => ({ offset: String(i), key: Buffer.from("m"), value }));
    const dead = messages
      .filter((m) => !m.value.toString().startsWith("{") || !m.value.toString().includes("eventId"))
      .map((m) => m.offset);
    return { messages, expected: { joined: outcomes.length, duplicates, unknown: 3, dead } };
  })();

class SimulatedCrash extends Error {
  override readonly name = "SimulatedCrash";
}

interface World {
  backend: InMemoryStateBackend;
  published: OutboxEntry[];
  committed: Record<string, number>;
}

const newWorld = (): World => ({ backend: new InMemoryStateBackend(), published: [], committed: { [TOPIC]: 0, [OUTCOMES]: 0 } });

function replica(world: World, crashAt?: { step: number; when: "before" | "after" }) {
  let steps = 0;
  const effect = async <T>(run: () => Promise<T>): Promise<T> => {
    const n = steps++;
    if (crashAt?.step === n && crashAt.when === "before") throw new SimulatedCrash(`before step ${n}`);
    const result = await run();
    if (crashAt?.step === n && crashAt.when === "after") throw new SimulatedCrash(`after step ${n}`);
    return result;
  };
  const base = new InMemoryStateStore({ backend: world.backend });
  const store: StateStore = {
    loadPartition: (p) => effect(() => base.loadPartition(p)),
    commitPartition: (p, w) => effect(() => base.commitPartition(p, w)),
    pendingOutbox: (p, limit) => base.pendingOutbox(p, limit),
    ackOutbox: (p, ids) => effect(() => base.ackOutbox(p, ids)),
    acquireRetrainLock: (m, q, ttl) => base.acquireRetrainLock(m, q, ttl),
    getReferenceBaseline: (m, v) => base.getReferenceBaseline(m, v),
    putReferenceBaseline: (m, v, b) => base.putReferenceBaseline(m, v, b),
    close: () => base.close(),
  };
  const references = new ReferenceBaselines(store);
  const settings: ProcessorSettings = {
    sourceTopic: TOPIC,
    outcomesSourceTopic: OUTCOMES,
    topics: config.kafka.topics,
    maxDeadLetterValueBytes: 1024,
    engine: { ...engineContextFrom(config, () => 0, references.lookup), outcomes: true },
  };
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes: 1 << 20 };
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
      await effect(async () => world.published.push(...pending));
      await store.ackOutbox(
        ref,
        pending.map((e) => e.id),
      );
      return { published: pending.length, suppressed: 0 };
    },
    commitOffset: (topic, _partition, offset) => effect(async () => void (world.committed[topic] = Number(offset))),
    metrics: createDetectorMetrics({ defaultMetrics: false }),
    log,
    chunkSize: CHUNK,
    clock: () => 1_764_000_000_000,
    backoff: { initialMs: 1, maxMs: 1, jitter: 0 },
    isStopping: () => false,
    onForget: () => {},
    onLoaded: () => {},
    positions: {
      committed: async (topic) => (world.committed[topic] > 0 ? String(world.committed[topic]) : null),
      logStart: async () => "0",
      seek: () => {},
    },
  });
  return { runtime, steps: () => steps };
}

const controls = { resolveOffset: () => {}, heartbeat: async () => {}, isRunning: () => true, isStale: () => false };

/** Batches from the committed offsets: the topic whose batch number is behind goes next (predictions on a tie). */
async function consume(world: World, runtime: PartitionRuntime): Promise<void> {
  const inputs: Record<string, SourceMessage[]> = { [TOPIC]: PREDICTIONS, [OUTCOMES]: OUTCOME_INPUT.messages };
  for (;;) {
    const left = [TOPIC, OUTCOMES].filter((t) => world.committed[t] < inputs[t].length);
    if (left.length === 0) return;
    const topic = left.sort((a, b) => Math.floor(world.committed[a] / BATCH) - Math.floor(world.committed[b] / BATCH))[0];
    const messages = inputs[topic].slice(world.committed[topic], world.committed[topic] + BATCH);
    await runtime.runBatch({ topic, partition: 0, highWatermark: String(inputs[topic].length), messages }, controls);
  }
}

async function storedState(world: World) {
  const stored = await new InMemoryStateStore({ backend: world.backend }).loadPartition(REF);
  return { stored, state: decodePartitionState(0, stored.meta, stored.models, config.limits) };
}

async function expectSameOutcome(got: World, expected: World): Promise<void> {
  const [a, b] = [await storedState(got), await storedState(expected)];
  expect([a.stored.offset, a.stored.outcomeOffset]).toEqual([b.stored.offset, b.stored.outcomeOffset]);
  expect(a.state.counters).toEqual(b.state.counters);
  for (const [id, model] of b.state.models) {
    const other = a.state.models.get(id)!;
    expect(other.outcomes?.join.counters).toEqual(model.outcomes?.join.counters);
    expect(Buffer.from(encodeModelOutcomes(other.outcomes!)).equals(Buffer.from(encodeModelOutcomes(model.outcomes!)))).toBe(true);
    // the join's entries as stored, field by field, and in the same order once loaded
    const fields = (s: typeof a.stored, m: string) => [...(s.models.get(m)?.joinEntries ?? [])].sort(([x], [y]) => (x < y ? -1 : 1));
    expect(fields(a.stored, id)).toEqual(fields(b.stored, id));
    expect(fields(b.stored, id).length).toBeGreaterThan(0);
    expect([...other.outcomes!.join.pending.keys()]).toEqual([...model.outcomes!.join.pending.keys()]);
    expect([...other.outcomes!.join.early.keys()]).toEqual([...model.outcomes!.join.early.keys()]);
    expect(Buffer.from(encodeModelHot(other)).equals(Buffer.from(encodeModelHot(model)))).toBe(true);
    expect(Buffer.from(encodeModelCold(other)).equals(Buffer.from(encodeModelCold(model)))).toBe(true);
  }
  expect(got.committed).toEqual(expected.committed);
  expect([...new Set(got.published.map((e) => e.id))].sort()).toEqual([...new Set(expected.published.map((e) => e.id))].sort());
}

async function uninterrupted() {
  const world = newWorld();
  const r = replica(world);
  await consume(world, r.runtime);
  return { world, steps: r.steps() };
}

describe("outcomes joined to predictions by the partition runtime, exactly once across crashes", () => {
  it("an uninterrupted run joins every outcome once, counts duplicates and unknown ids, and dead-letters bad outcomes", async () => {
    const { world } = await uninterrupted();
    expect(world.committed).toEqual({ [TOPIC]: PREDICTIONS.length, [OUTCOMES]: OUTCOME_INPUT.messages.length });
    const { stored, state } = await storedState(world);
    expect(stored.offset).toBe(String(PREDICTIONS.length - 1));
    expect(stored.outcomeOffset).toBe(String(OUTCOME_INPUT.messages.length - 1));
    const counters = state.models.get("m")!.outcomes!.join.counters;
    expect(counters.matched).toBe(OUTCOME_INPUT.expected.joined);
    expect(counters.duplicateOutcomes).toBe(OUTCOME_INPUT.expected.duplicates);
    expect(counters.early).toBeGreaterThan(0); // the jitter put some outcomes before their prediction
    // joined outcomes filled performance windows of 50 (their state is compared after crashes too)
    expect(state.models.get("m")!.outcomes!.versions.get("v1")!.windowsClosed).toBe(Math.floor(counters.matched / 50));
    // the 3 ids never predicted wait as early outcomes (they expire only after the label delay)
    expect(state.models.get("m")!.outcomes!.join.early.size).toBe(OUTCOME_INPUT.expected.unknown);
    // predictions without an outcome wait (32 of 160)
    expect(state.models.get("m")!.outcomes!.join.pending.size).toBe(32);
    const dead = world.published.filter((e) => e.kind === "dead-letter");
    expect(dead.map((e) => e.headers["source-offset"])).toEqual(OUTCOME_INPUT.expected.dead);
    expect(dead.every((e) => e.headers["source-topic"] === OUTCOMES)).toBe(true);
    expect(dead.map((e) => e.headers.reason)).toEqual(["invalid_json", "schema_violation", "unknown_format"]);
  });

  it("a crash before or after any step, followed by a restart from Kafka's committed offsets, ends like an uninterrupted run", async () => {
    const { world: expected, steps } = await uninterrupted();
    expect(steps).toBeGreaterThan(30); // loads, commits, publishes, acks and offset commits of 7 batches of two topics
    for (let step = 0; step < steps; step++) {
      for (const when of ["before", "after"] as const) {
        const world = newWorld();
        await expect(consume(world, replica(world, { step, when }).runtime), `crash ${when} step ${step}`).rejects.toThrow(SimulatedCrash);
        await consume(world, replica(world).runtime);
        await expectSameOutcome(world, expected);
      }
    }
  });

  it("redelivered outcomes at or below the stored outcome offset are skipped, not joined or counted twice", async () => {
    const { world: expected } = await uninterrupted();
    const world = newWorld();
    const r = replica(world);
    await consume(world, r.runtime);
    world.committed[OUTCOMES] = 0; // Kafka lost the outcomes commit and redelivers all of them
    await consume(world, r.runtime);
    await expectSameOutcome(world, expected);
  });
});
