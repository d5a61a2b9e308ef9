// Exactly-once outcome join across crashes (issue 11): `drift-detector run` as a child process consumes the
// predictions topic and the co-partitioned outcomes topic and is SIGKILLed in the middle of the stream, then
// restarted; the last run finishes. The final state in Redis — the join (pending predictions, early outcomes,
// counters), the performance windows and references, the prediction windows — must equal, byte for byte, an
// uninterrupted run of the engine over the same Kafka messages, and the drift events, retrain requests and
// dead letters on the wire must be exactly its ids (duplicates on the wire allowed).
//
// Which topic a consumer reads first is up to the broker, and the join's result depends on the order (an
// outcome read before its prediction waits as `early`). So the test produces in phases and lets the
// service finish each before the next: predictions of phase k, then the outcomes of phase k — labels of
// phase k's predictions, some of phase k+1's (early: they arrive before their prediction), duplicates,
// ids never predicted, labels after the label delay (too late) and malformed outcomes. Kills land anywhere
// inside a phase; only one topic has unread messages at any time, so the order the service applies them in
// is the phases' order however often it restarts, and the oracle applies them in that order too.
//
// A rebalance case runs the same input for three models on three partitions (an odd count, which kafkajs'
// round-robin assigner would split between the topics) through two members, one of which leaves (SIGTERM)
// after a third of the stream, and a third member that joins after two thirds: the co-partitioned assigner
// keeps predictions p and outcomes p on one member throughout, and the end state is the uninterrupted one.
//
// One model per partition; each model's accuracy drops from 0.92 to 0.70 at phase 3 (a performance
// incident and one retrain request each). OUTCOME_CRASH_KILLS sets the number of SIGKILLs (default 2;
// each costs a 6 s session timeout before the restarted member gets the partitions). Measured on the
// 2-core dev machine under a load average of ~11: 43 s with 2 kills, 59 s with OUTCOME_CRASH_KILLS=6.
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import type { Kafka } from "kafkajs";
import type { ResolvedConfig } from "../../src/config/load.ts";
import { engineContextFrom } from "../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, isRejected, type EngineOutput, type PartitionState } from "../../src/detect/engine.ts";
import { applyOutcome, isOutcomeRejected } from "../../src/detect/outcome-engine.ts";
import { decodeOutcomeMessage, decodePredictionMessage } from "../../src/events/codec.ts";
import type { OutcomeEvent, PredictionEvent } from "../../src/events/types.ts";
import { deadLetterId } from "../../src/kafka/dead-letter.ts";
import { decodePartitionState, encodeModelCold, encodeModelHot } from "../../src/state/engine-state-codec.ts";
import { encodeModelOutcomes } from "../../src/state/outcome-state-codec.ts";
import { encodeWholeJoin } from "../../src/state/join-entry-codec.ts";
import { partitionKeys } from "../../src/state/keys.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { infra } from "../support/infra.ts";
import { classifierStream } from "../support/outcome-streams.ts";
import {
  committedOffsets,
  freePort,
  produceRaw,
  readAllMessages,
  serviceProcessSetup,
  startedResources,
  startServiceProcess,
  waitFor,
  type RawMessage,
  type ReadMessage,
  type ServiceProcess,
} from "../support/service-harness.ts";
import { expectSameEncoding } from "../support/state-comparison.ts";
import { idsOf, waitForOutboxesDrained } from "../support/uninterrupted-run.ts";

/** model i on partition i (keyed by model, as producers do) */
const MODELS = ["clf-a", "clf-b", "clf-c"];
const PHASES = 6;
const PER_PHASE = 500; // predictions per model and phase
const STEP_MS = 100; // event time between a model's predictions: a phase spans 50 s
const LABEL_DELAY_MS = 200_000; // longer than two phases: no label expires before its phase is read
const OUTCOME_DELAY_MS = 20_000;
const KILLS = Math.max(1, Number(process.env.OUTCOME_CRASH_KILLS ?? 2));

const SETTINGS = {
  defaults: {
    window: { maxEvents: 400, minEvents: 50, maxDurationMs: 3_600_000 },
    baseline: { warmupWindows: 3, rollingWindows: 6 },
    detection: { consecutiveWindows: 2 },
    retrain: { consecutiveWindows: 2 },
    performance: {
      enabled: true,
      maxOutcomes: 250,
      minOutcomes: 50,
      referenceWindows: 2,
      labelDelayMs: LABEL_DELAY_MS,
      maxEarlyOutcomes: 5000,
    },
  },
  // a killed member's partitions move after the session timeout: the broker's minimum keeps the test short
  kafka: { sessionTimeoutMs: 6_000 },
};

interface Phase {
  predictions: RawMessage[];
  outcomes: RawMessage[];
}

const json = (v: unknown) => JSON.stringify(v);

/** The input, phase by phase; `expected` counts what the join must end with (per model, the same for both). */
function phases(models: readonly string[]): { phases: Phase[]; expected: { duplicates: number; tooLate: number; malformed: number } } {
  const perModel = models.map((modelId, partition) => {
    const stream = classifierStream({
      seed: 41 + partition,
      count: PHASES * PER_PHASE,
      modelId,
      stepMs: STEP_MS,
      labelDelayMs: OUTCOME_DELAY_MS,
      accuracy: (i) => (i < 3 * PER_PHASE ? 0.92 : 0.7),
    });
    const predictions = stream.filter((x) => x.kind === "prediction").map((x) => x.event as PredictionEvent);
    const outcomes = new Map(stream.filter((x) => x.kind === "outcome").map((x) => [x.event.eventId, x.event as OutcomeEvent]));
    return { modelId, partition, predictions, outcomes };
  });
  const out: Phase[] = [...Array(PHASES).keys()].map(() => ({ predictions: [], outcomes: [] }));
  let duplicates = 0;
  let tooLate = 0;
  let malformed = 0;
  for (const { modelId, partition, predictions, outcomes } of perModel) {
    const msg = (value: string | Buffer): RawMessage => ({ key: modelId, value, partition });
    for (let k = 0; k < PHASES; k++) {
      const phase = predictions.slice(k * PER_PHASE, (k + 1) * PER_PHASE);
      out[k].predictions.push(...phase.map((p) => msg(json(p))));
      const labels: RawMessage[] = [];
      const label = (p: PredictionEvent, i: number) => {
        const o = json(outcomes.get(p.eventId)!);
        labels.push(msg(o));
        if (i % 37 === 11) {
          labels.push(msg(o)); // the same outcome twice
          duplicates++;
        }
      };
      phase.forEach((p, j) => {
        const i = k * PER_PHASE + j;
        if (i % 20 === 7) return; // no label: waits, expires after the label delay
        if (k > 0 && j % 10 === 3) return; // sent one phase early (below)
        label(p, i);
      });
      // early: labels of the next phase's predictions, read before those predictions
      predictions.slice((k + 1) * PER_PHASE, (k + 2) * PER_PHASE).forEach((p, j) => {
        const i = (k + 1) * PER_PHASE + j;
        if (j % 10 === 3 && i % 20 !== 7) label(p, i);
      });
      // ids never predicted, and malformed outcomes (dead letters)
      const last = phase[phase.length - 1].timestamp;
      labels.splice(50, 0, msg(json({ eventId: `never-${modelId}-${k}`, modelId, timestamp: last, actualClass: "pos" })));
      labels.splice(120, 0, msg("{not json"));
      labels.splice(240, 0, msg(json({ modelId, timestamp: last, actualClass: "pos" }))); // no eventId
      labels.splice(300, 0, msg(Buffer.from([0, 0x7f, 0x7f, 0x7f, 0x7f, 2, 0x61]))); // Avro framing, a schema id never registered
      malformed += 3;
      if (k > 0) {
        // last: the label of the previous phase's first label-less prediction, after the label delay (too late)
        const p = predictions[(k - 1) * PER_PHASE + 7];
        labels.push(msg(json({ ...outcomes.get(p.eventId)!, timestamp: p.timestamp + LABEL_DELAY_MS + 5000 })));
        tooLate++;
      }
      out[k].outcomes.push(...labels);
    }
  }
  return { phases: out, expected: { duplicates: duplicates / models.length, tooLate: tooLate / models.length, malformed } };
}

interface Uninterrupted {
  states: Map<number, PartitionState>;
  lastOffsets: Map<number, { prediction: string; outcome: string }>;
  driftIds: Set<string>;
  retrainIds: Set<string>;
  deadLetterIds: Set<string>;
}

/** The engine over the topics' messages, per partition, phase by phase (a phase's predictions, then its outcomes). */
function uninterruptedRun(
  partitions: number,
  predictions: ReadMessage[],
  outcomes: ReadMessage[],
  ends: { prediction: Map<number, bigint>; outcome: Map<number, bigint> }[],
  config: ResolvedConfig,
): Uninterrupted {
  const ctx = { ...engineContextFrom(config, () => 0), outcomes: true };
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes: config.limits.maxMessageBytes };
  const { topics } = config.kafka;
  const run: Uninterrupted = {
    states: new Map(),
    lastOffsets: new Map(),
    driftIds: new Set(),
    retrainIds: new Set(),
    deadLetterIds: new Set(),
  };
  const wallClock = Date.now();
  const collect = (outputs: readonly EngineOutput[]) => {
    for (const o of outputs) {
      if (o.kind === "drift") run.driftIds.add(o.event.eventId);
      else if (o.kind === "retrain") run.retrainIds.add(o.request.requestId);
    }
  };
  for (let partition = 0; partition < partitions; partition++) {
    const state = createPartitionState(partition);
    run.states.set(partition, state);
    const p = predictions.filter((m) => m.partition === partition);
    const o = outcomes.filter((m) => m.partition === partition);
    let pi = 0;
    let oi = 0;
    for (const end of ends) {
      for (; pi < p.length && BigInt(p[pi].offset) < end.prediction.get(partition)!; pi++) {
        const m = p[pi];
        const decoded = decodePredictionMessage(m.value, decodeContext);
        const applied = decoded.ok ? applyPrediction(state, decoded.event, m.offset, ctx, wallClock) : undefined;
        if (applied === undefined || isRejected(applied)) run.deadLetterIds.add(deadLetterId(topics.predictions, partition, m.offset));
        else collect(applied.outputs);
      }
      for (; oi < o.length && BigInt(o[oi].offset) < end.outcome.get(partition)!; oi++) {
        const m = o[oi];
        const decoded = decodeOutcomeMessage(m.value, decodeContext);
        const applied = decoded.ok ? applyOutcome(state, decoded.event, m.offset, ctx, wallClock) : undefined;
        if (applied === undefined || isOutcomeRejected(applied)) run.deadLetterIds.add(deadLetterId(topics.outcomes, partition, m.offset));
        else collect(applied.outputs);
      }
    }
    run.lastOffsets.set(partition, { prediction: p[p.length - 1].offset, outcome: o[o.length - 1].offset });
  }
  return run;
}

async function highWatermarks(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, BigInt(e.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** What a scenario's service driver gets: the config the processes run with, and the applied-message count. */
interface Drive {
  raw: Record<string, unknown>;
  total: number;
  applied(): Promise<number>;
  children: ServiceProcess[];
}

/**
 * Produces the phases for `models` (one partition each) while `serve` runs the service processes, then
 * stops what `serve` returned with SIGTERM and compares state, offsets and outputs with the uninterrupted run.
 */
async function runScenario(
  label: string,
  models: readonly string[],
  resources: ReturnType<typeof startedResources>,
  serve: (drive: Drive) => Promise<ServiceProcess[]>,
): Promise<{ total: number; seconds: number; drift: number; retrainOnWire: number; deadLettersOnWire: number }> {
  const { children, clients } = resources;
  const partitions = models.length;
  const started = Date.now();
  const { raw, config, kafka } = await serviceProcessSetup(label, { ...SETTINGS, kafka: { ...SETTINGS.kafka, partitions } }, partitions);
  const { topics, groupId } = config.kafka;
  const input = phases(models);
  const total = input.phases.reduce((n, ph) => n + ph.predictions.length + ph.outcomes.length, 0);

  const refs = [...Array(partitions).keys()].map((partition) => ({ group: groupId, topic: topics.predictions, partition }));
  const keys = refs.map((r) => partitionKeys(config.redis.keyPrefix, r));
  const redis = new Redis(infra().redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  clients.push({ close: () => redis.quit() });
  /** messages applied so far (both topics, every partition), from the offsets stored with the state */
  const applied = async () => {
    const stored = await redis.mget(...keys.flatMap((k) => [k.offset, k.outcomeOffset]));
    return stored.reduce((n, o) => n + (o === null ? 0 : Number(o) + 1), 0);
  };

  // ---- the producer: phase by phase, each one only once the service applied everything before it ----
  const ends: { prediction: Map<number, bigint>; outcome: Map<number, bigint> }[] = [];
  let producedThrough = 0;
  const produce = async () => {
    for (const phase of input.phases) {
      for (const [topic, messages] of [
        [topics.predictions, phase.predictions],
        [topics.outcomes, phase.outcomes],
      ] as const) {
        await produceRaw(kafka, topic, messages);
        producedThrough += messages.length;
        await waitFor(
          `${producedThrough} messages applied`,
          async () => ((await applied()) >= producedThrough ? true : undefined),
          150_000,
          20,
        );
      }
      ends.push({ prediction: await highWatermarks(kafka, topics.predictions), outcome: await highWatermarks(kafka, topics.outcomes) });
    }
  };
  const [, running] = await Promise.all([produce(), serve({ raw, total, applied, children })]);

  const store = new RedisStateStore(infra().redisUrl, { keyPrefix: config.redis.keyPrefix });
  clients.push(store);
  await waitForOutboxesDrained(store, refs, 60_000);
  // Kafka's committed offsets catch up: a commit refused in a rebalance is made by the next owner once it has
  // re-read (and skipped, below the stored offset) what the last one applied; on a fast run that re-read can
  // come after everything was applied, so it is waited for here, and checked exactly below
  await waitFor(
    "committed offsets at the end of both topics",
    async () => {
      for (const topic of [topics.predictions, topics.outcomes]) {
        const [committed, high] = [await committedOffsets(kafka, groupId, topic), await highWatermarks(kafka, topic)];
        for (const [partition, end] of high) if (end > 0n && committed.get(partition) !== String(end)) return undefined;
      }
      return true;
    },
    60_000,
    200,
  );
  for (const service of running) service.kill("SIGTERM");
  for (const service of running) expect(await service.exited).toBe(0);

  // ---- the oracle over what is on the topics ----
  const onPredictions = await readAllMessages(kafka, topics.predictions);
  const onOutcomes = await readAllMessages(kafka, topics.outcomes);
  expect(onPredictions.length + onOutcomes.length).toBe(total);
  const expected = uninterruptedRun(partitions, onPredictions, onOutcomes, ends, config);

  // ---- state: equal to the uninterrupted run, model by model ----
  for (const ref of refs) {
    const stored = await store.loadPartition(ref);
    const offsets = expected.lastOffsets.get(ref.partition)!;
    expect([stored.offset, stored.outcomeOffset]).toEqual([offsets.prediction, offsets.outcome]);
    const state = decodePartitionState(ref.partition, stored.meta, stored.models, config.limits);
    const oracle = expected.states.get(ref.partition)!;
    expect(state.counters).toEqual(oracle.counters);
    expect([...state.models.keys()]).toEqual([...oracle.models.keys()]);
    for (const [modelId, model] of oracle.models) {
      const got = state.models.get(modelId);
      if (got === undefined || got.outcomes === undefined || model.outcomes === undefined)
        throw new Error(`model ${modelId} or its outcome state missing in partition ${ref.partition}`);
      const counters = model.outcomes.join.counters;
      expect(got.outcomes.join.counters, `${modelId} join counters`).toEqual(counters);
      // the input's edges all happened, each as often as it was sent
      expect(counters.matched).toBeGreaterThan(PHASES * PER_PHASE * 0.8);
      expect(counters.early).toBeGreaterThan(PHASES * 40);
      expect(counters.duplicateOutcomes).toBe(input.expected.duplicates);
      expect(counters.tooLate).toBe(input.expected.tooLate);
      expect(counters.expired).toBeGreaterThan(input.expected.tooLate); // label-less predictions older than the label delay
      expect(counters.unknown).toBeGreaterThan(0); // ids never predicted, expired by the prediction watermark
      const version = got.outcomes.versions.get("v1");
      expect(version?.windowsClosed, `${modelId} performance windows closed`).toBe(model.outcomes.versions.get("v1")?.windowsClosed);
      expect(version?.hysteresis.status, `${modelId} performance status`).toBe("critical");
      expectSameEncoding(
        encodeModelOutcomes(got.outcomes),
        encodeModelOutcomes(model.outcomes),
        `p${ref.partition} ${modelId} outcome state`,
      );
      // the join's entries (stored one per field since the outcome record no longer holds them), in order
      const whole = (join: typeof model.outcomes.join) =>
        [...encodeWholeJoin(join)].map(([f, v]) => `${f}=${Buffer.from(v).toString("hex")}`);
      expect(whole(got.outcomes.join), `p${ref.partition} ${modelId} join entries`).toEqual(whole(model.outcomes.join));
      expectSameEncoding(encodeModelHot(got), encodeModelHot(model), `p${ref.partition} ${modelId} hot state`);
      expectSameEncoding(encodeModelCold(got), encodeModelCold(model), `p${ref.partition} ${modelId} cold state`);
    }
  }
  const committed = {
    predictions: await committedOffsets(kafka, groupId, topics.predictions),
    outcomes: await committedOffsets(kafka, groupId, topics.outcomes),
  };
  for (const ref of refs) {
    const offsets = expected.lastOffsets.get(ref.partition)!;
    expect(committed.predictions.get(ref.partition)).toBe(String(BigInt(offsets.prediction) + 1n));
    expect(committed.outcomes.get(ref.partition)).toBe(String(BigInt(offsets.outcome) + 1n));
  }

  // ---- outputs: the same ids, none missing, none extra ----
  const drift = idsOf(await readAllMessages(kafka, topics.drift), "event-id");
  const retrain = idsOf(await readAllMessages(kafka, topics.retrain), "request-id");
  const dlq = idsOf(await readAllMessages(kafka, topics.deadLetter), "dlq-id");
  expect(expected.retrainIds.size).toBe(models.length); // one performance retrain request per model
  expect(expected.deadLetterIds.size).toBe(input.expected.malformed);
  expect([...drift.ids].sort()).toEqual([...expected.driftIds].sort());
  expect([...retrain.ids].sort()).toEqual([...expected.retrainIds].sort());
  expect([...dlq.ids].sort()).toEqual([...expected.deadLetterIds].sort());
  return {
    total,
    seconds: Math.round((Date.now() - started) / 1000),
    drift: drift.ids.size,
    retrainOnWire: retrain.total,
    deadLettersOnWire: dlq.total,
  };
}

describe("delivery: outcomes joined exactly once across crashes and rebalances", () => {
  const resources = startedResources();
  afterAll(resources.release);

  it(`${KILLS} SIGKILLs while predictions and outcomes are consumed end in the join, performance state and outputs of an uninterrupted run`, async () => {
    const killedAt: number[] = [];
    const result = await runScenario("crash-outcomes", MODELS.slice(0, 2), resources, async ({ raw, total, applied, children }) => {
      // killed KILLS times at evenly spread points of the stream, then a run that finishes
      for (let k = 1; k <= KILLS; k++) {
        const after = Math.round((k * total) / (KILLS + 1));
        const before = await applied();
        const service = startServiceProcess(raw, { metricsPort: await freePort() });
        children.push(service);
        await waitFor(
          `${after} messages applied`,
          async () => ((await applied()) >= Math.max(after, before + 1) ? true : undefined),
          150_000,
          2,
        ).catch((err: Error) => {
          throw new Error(`${err.message}; applied ${before} before this run; service output:\n${service.output.slice(-40).join("\n")}`);
        });
        await new Promise((r) => setTimeout(r, (k * 7) % 20)); // 7, 14, 1, … ms: inside the next chunk
        service.kill("SIGKILL");
        expect(await service.exited).toBe("SIGKILL");
        killedAt.push(await applied());
      }
      for (const n of killedAt) expect(n).toBeLessThan(total); // every kill left work undone
      const last = startServiceProcess(raw, { metricsPort: await freePort() });
      children.push(last);
      return [last];
    });
    console.info(JSON.stringify({ test: "delivery-crash-outcomes", kills: KILLS, killedAtApplied: killedAt, ...result }));
  }, 600_000);

  it("three partitions moving between members (one leaves, one joins) keep predictions p and outcomes p together and end like an uninterrupted run", async () => {
    let members: ServiceProcess[] = [];
    const result = await runScenario("rebalance-outcomes", MODELS, resources, async ({ raw, total, applied, children }) => {
      const start = async () => {
        const service = startServiceProcess(raw, { metricsPort: await freePort() });
        children.push(service);
        members.push(service);
        return service;
      };
      const reach = (n: number) => waitFor(`${n} messages applied`, async () => ((await applied()) >= n ? true : undefined), 150_000, 5);
      const joinedWithPartitions = (m: ServiceProcess) =>
        m.waitForLog((l) => l.msg === "joined consumer group" && Array.isArray(l.assigned) && l.assigned.length > 0, 60_000);
      const a = await start();
      const b = await start();
      // a holds partitions before it leaves (on a fast machine b alone could otherwise apply the first third
      // while a is still joining: seen once, a left without a join line)
      await joinedWithPartitions(a);
      await reach(Math.round(total / 3));
      a.kill("SIGTERM"); // leaves the group: its partitions move to b
      expect(await a.exited).toBe(0);
      await reach(Math.round((2 * total) / 3));
      const c = await start(); // joins: partitions move again, from b to c
      await joinedWithPartitions(c);
      return [b, c];
    });
    // every member got predictions and outcomes partitions of the same numbers (the co-partitioned assigner)
    for (const m of members)
      expect(m.output.filter((l) => l.includes("partitions of only one of the predictions and outcomes"))).toEqual([]);
    // every member joined at least once (how many generations the coordinator merges, and whether a busy member
    // rejoins before the stream ends, is timing: 3 to 6 join lines have been seen)
    const joinsOf = (m: ServiceProcess) => m.output.filter((l) => l.includes('"joined consumer group"'));
    expect(members.map((m) => joinsOf(m).length > 0)).toEqual([true, true, true]);
    const joins = members.flatMap(joinsOf);
    console.info(JSON.stringify({ test: "delivery-rebalance-outcomes", memberJoins: joins.length, ...result }));
    members = [];
  }, 600_000);
});
