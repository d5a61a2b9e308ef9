// No event counted twice or lost across rebalances: two `drift-detector run` processes in one consumer
// group share a 4-partition topic while events keep arriving; one is stopped with SIGTERM mid-stream
// (its partitions move to the other), later a replacement joins (partitions move back, taken from a
// member that is busy processing). At the end every partition's stored offset is its last offset, the
// accepted counters add up to the number of valid events produced, and the state equals the engine fed
// each partition's messages in offset order without any rebalance (counts, windows, statuses, and the
// encoded sketches byte for byte).
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { engineContextFrom } from "../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type PartitionState } from "../../src/detect/engine.ts";
import { decodePredictionMessage } from "../../src/events/codec.ts";
import { demoEvents, DEMO_START_TIME } from "../../src/demo/generator.ts";
import { decodePartitionState, encodeModelCold, encodeModelHot } from "../../src/state/engine-state-codec.ts";
import { partitionKeys } from "../../src/state/keys.ts";
import type { SignalSketches } from "../../src/windows/signals.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { infra } from "../support/infra.ts";
import {
  committedOffsets,
  freePort,
  produceRaw,
  readAllMessages,
  startServiceProcess,
  waitFor,
  type RawMessage,
  type ServiceProcess,
  serviceProcessSetup,
  startedResources,
} from "../support/service-harness.ts";
import { expectSameEncoding } from "../support/state-comparison.ts";

const PARTITIONS = 4;
const EVENTS = 9000;
const SLICE = 300; // produced every SLICE_PAUSE_MS: the stream lasts about 6 s
const SLICE_PAUSE_MS = 200;

const SETTINGS = {
  defaults: {
    window: { maxEvents: 150, minEvents: 50, maxDurationMs: 3_600_000 },
    baseline: { warmupWindows: 3, rollingWindows: 6 },
  },
  kafka: { partitions: PARTITIONS },
};

/** Three demo models spread over 4 partitions (so every partition holds several models), fraud-scorer
 * drifting in the second half, and one undecodable message per 1 000 (a dead letter, not an event). */
function input(): { messages: RawMessage[]; valid: number } {
  const messages: RawMessage[] = [];
  let i = 0;
  for (const event of demoEvents(
    {
      seed: 4242,
      startTime: DEMO_START_TIME,
      eventsPerSecond: 30,
      drifts: [{ kind: "feature-shift", modelId: "fraud-scorer", feature: "amount", fromIndex: 1500, shiftSigma: 1 }],
    },
    EVENTS,
  )) {
    const partition = Math.floor(i / 3) % PARTITIONS;
    messages.push({ key: event.modelId, value: JSON.stringify(event), partition });
    if (i % 1000 === 999) messages.push({ key: event.modelId, value: "not json", partition });
    i++;
  }
  return { messages, valid: EVENTS };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a window's sketches hold apart from the t-digest centroids: exact moments, category counts. */
function exactParts(s: SignalSketches) {
  return {
    numeric: [...s.numeric].map(([name, n]) => [name, n.moments]),
    categorical: [...s.categorical].map(([name, c]) => [name, c]),
    typeMismatches: [...s.typeMismatches],
  };
}

describe("delivery: rebalance", () => {
  const { children, clients, release } = startedResources();
  afterAll(release);

  it("a member stopping mid-stream and another joining lose no event and count none twice", async () => {
    const { raw, config, kafka } = await serviceProcessSetup("delivery-rebalance", SETTINGS, PARTITIONS);
    const { topics, groupId } = config.kafka;
    const { messages, valid } = input();

    const refs = [...Array(PARTITIONS).keys()].map((partition) => ({ group: groupId, topic: topics.predictions, partition }));
    const offsetKeys = refs.map((r) => partitionKeys(config.redis.keyPrefix, r).offset);
    const redis = new Redis(infra().redisUrl, { maxRetriesPerRequest: 2 });
    clients.push({ close: () => redis.quit() });
    const storedOffsets = async () => (await redis.mget(...offsetKeys)).map((o) => (o === null ? -1 : Number(o)));
    const applied = async () => (await storedOffsets()).reduce((n, o) => n + o + 1, 0);

    // Two members; wait until the group settled with two partitions each.
    const a = startServiceProcess(raw, { metricsPort: await freePort() });
    children.push(a);
    await a.waitForLog((l) => l.msg === "ready", 60_000);
    const b = startServiceProcess(raw, { metricsPort: await freePort() });
    children.push(b);
    const joinedWith = (service: ServiceProcess, n: number) =>
      service.waitForLog((l) => l.msg === "joined consumer group" && Array.isArray(l.assigned) && l.assigned.length === n, 60_000);
    await Promise.all([joinedWith(a, 2), joinedWith(b, 2)]);

    // The stream: slices arrive while the group changes.
    let produced = 0;
    const producing = (async () => {
      for (let i = 0; i < messages.length; i += SLICE) {
        const slice = messages.slice(i, i + SLICE);
        await produceRaw(kafka, topics.predictions, slice);
        produced += slice.length;
        await sleep(SLICE_PAUSE_MS);
      }
    })();

    // Mid-stream, member A leaves (SIGTERM: finishes its chunk, commits, leaves the group).
    await waitFor("a third of the stream applied", async () => ((await applied()) >= messages.length / 3 ? true : undefined), 60_000, 20);
    const atStop = await storedOffsets();
    expect(
      atStop.every((o) => o >= 0),
      `every partition had progress before the stop: ${atStop.join(",")}`,
    ).toBe(true);
    a.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    await joinedWith(b, 4);
    const producedAtStop = produced;
    expect(producedAtStop).toBeLessThan(messages.length);

    // Later a replacement joins: B gives up two partitions while it is busy with them.
    await waitFor(
      "two thirds of the stream applied",
      async () => ((await applied()) >= (2 * messages.length) / 3 ? true : undefined),
      60_000,
      20,
    );
    const c = startServiceProcess(raw, { metricsPort: await freePort() });
    children.push(c);
    await joinedWith(c, 2);

    await producing;
    await waitFor("every message applied", async () => ((await applied()) === messages.length ? true : undefined), 120_000, 100);

    // Stored offsets: every partition's last offset, and the committed Kafka offsets just past it.
    const onTopic = await readAllMessages(kafka, topics.predictions);
    const lastOffsets = new Map<number, string>();
    for (const m of onTopic) lastOffsets.set(m.partition, m.offset);
    expect(await storedOffsets()).toEqual(refs.map((r) => Number(lastOffsets.get(r.partition))));
    await waitFor(
      "committed offsets at the end of every partition",
      async () => {
        const committed = await committedOffsets(kafka, groupId, topics.predictions);
        return refs.every((r) => committed.get(r.partition) === String(Number(lastOffsets.get(r.partition)) + 1)) ? true : undefined;
      },
      30_000,
      200,
    );

    // Counters: each valid event accepted exactly once.
    const store = new RedisStateStore(infra().redisUrl, { keyPrefix: config.redis.keyPrefix });
    clients.push(store);
    const states = new Map<number, PartitionState>();
    for (const ref of refs) {
      const stored = await store.loadPartition(ref);
      states.set(ref.partition, decodePartitionState(ref.partition, stored.meta, stored.models));
    }
    const accepted = [...states.values()].reduce((n, s) => n + s.counters.accepted, 0);
    expect(accepted).toBe(valid);

    // State: equal to the engine over each partition in offset order, no rebalance.
    const ctx = engineContextFrom(config, () => 0);
    const decodeContext = { schemaForId: () => undefined, maxMessageBytes: config.limits.maxMessageBytes };
    const oracle = new Map<number, PartitionState>(refs.map((r) => [r.partition, createPartitionState(r.partition)]));
    for (const m of onTopic) {
      const decoded = decodePredictionMessage(m.value, decodeContext);
      const state = oracle.get(m.partition);
      if (decoded.ok && state !== undefined) applyPrediction(state, decoded.event, m.offset, ctx, Date.now());
    }
    for (const [partition, expected] of oracle) {
      const got = states.get(partition);
      if (got === undefined) throw new Error(`no stored state for partition ${partition}`);
      expect(got.counters, `partition ${partition} counters`).toEqual(expected.counters);
      expect([...got.models.keys()].sort()).toEqual([...expected.models.keys()].sort());
      for (const [modelId, model] of expected.models) {
        const g = got.models.get(modelId);
        if (g === undefined) throw new Error(`model ${modelId} missing in partition ${partition}`);
        // Counts, windows, statuses and retrain state first (readable failures), then everything, sketches
        // included, byte for byte.
        expect(g.retrain, `p${partition} ${modelId} retrain state`).toEqual(model.retrain);
        for (const [version, v] of model.versions) {
          const gv = g.versions.get(version);
          if (gv === undefined) throw new Error(`${modelId}@${version} missing in partition ${partition}`);
          expect(gv.windowsClosed, `p${partition} ${modelId}@${version} windows closed`).toBe(v.windowsClosed);
          expect(gv.window.count, `p${partition} ${modelId}@${version} open window`).toBe(v.window.count);
          expect(gv.window.firstOffset, `p${partition} ${modelId}@${version} open window first offset`).toBe(v.window.firstOffset);
          expect(gv.hysteresis, `p${partition} ${modelId}@${version} hysteresis`).toEqual(v.hysteresis);
          expect(gv.reference?.count, `p${partition} ${modelId}@${version} reference size`).toBe(v.reference?.count);
          expect(exactParts(gv.window.signals), `p${partition} ${modelId}@${version} open window moments and counts`).toEqual(
            exactParts(v.window.signals),
          );
          if (v.reference !== null && gv.reference !== null) {
            expect(exactParts(gv.reference.signals), `p${partition} ${modelId}@${version} reference moments and counts`).toEqual(
              exactParts(v.reference.signals),
            );
          }
          expect(
            gv.rolling.windows.map((w) => [w.id, w.count]),
            `p${partition} ${modelId}@${version} rolling windows`,
          ).toEqual(v.rolling.windows.map((w) => [w.id, w.count]));
        }
        expectSameEncoding(encodeModelHot(g), encodeModelHot(model), `p${partition} ${modelId} hot state`);
        expectSameEncoding(encodeModelCold(g), encodeModelCold(model), `p${partition} ${modelId} cold state`);
      }
    }

    for (const s of [b, c]) s.kill("SIGTERM");
    expect(await b.exited).toBe(0);
    expect(await c.exited).toBe(0);
    console.info(
      JSON.stringify({
        test: "delivery-rebalance",
        messages: messages.length,
        valid,
        producedWhenAStopped: producedAtStop,
        storedOffsetsWhenAStopped: atStop,
      }),
    );
  }, 300_000);
});
