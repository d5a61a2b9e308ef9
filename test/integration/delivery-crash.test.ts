// Exactly-once state across crashes: `drift-detector run` as a child process is SIGKILLed three times in
// the middle of a stream (after about 1 500, 3 000 and 4 500 of 6 000 events were applied) and restarted;
// (each restart waits for the killed member's 30 s session to expire before it gets the partitions, so
// this test takes about 100 s);
// the fourth run finishes. The final state in Redis must equal an uninterrupted run — the engine fed the
// same Kafka messages per partition in offset order, in this process — model by model, byte for byte, and
// the drift events, retrain requests and dead letters on the wire must be exactly the uninterrupted run's
// (by id: duplicates on the wire are allowed, a missing or extra id is not).
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { demoEvents, DEMO_START_TIME } from "../../src/demo/generator.ts";
import { churnModel, fraudScorer } from "../../src/demo/models.ts";
import { partitionKeys } from "../../src/state/keys.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { infra } from "../support/infra.ts";
import {
  freePort,
  produceRaw,
  readAllMessages,
  startServiceProcess,
  waitFor,
  type RawMessage,
  serviceProcessSetup,
  startedResources,
} from "../support/service-harness.ts";
import { expectUninterruptedOutcome, uninterruptedRun, waitForOutboxesDrained } from "../support/uninterrupted-run.ts";

const PARTITIONS = 2;
const EVENTS = 6000;
/** applied-message counts (both partitions together) after which the running service is SIGKILLed, and
 * how long after that: 0 ms hits right after a Redis commit (Kafka offset and outbox not yet done), the
 * delays land inside the next chunk (decode/apply, the Redis write, the outbox drain). */
const KILLS = [
  { after: 1500, delayMs: 0 },
  { after: 3000, delayMs: 6 },
  { after: 4500, delayMs: 15 },
];

// Windows of 400 events: the 3 000 events of a partition make 7 closed windows, 3 build the reference,
// drift starts inside window 3 (event 1 500 of each model), status needs 2 windows to change, retrain 2
// critical ones. 400 is deliberately not a divisor of the service's 500-message chunks: state is
// persisted (and, after a kill, restored) in the middle of windows whose t-digests already compress.
const SETTINGS = {
  defaults: {
    window: { maxEvents: 400, minEvents: 50, maxDurationMs: 3_600_000 },
    baseline: { warmupWindows: 3, rollingWindows: 6 },
    detection: { consecutiveWindows: 2 },
    retrain: { consecutiveWindows: 2 },
  },
  // a killed member's partitions move after the session timeout: the broker's minimum keeps the test short
  kafka: { partitions: PARTITIONS, sessionTimeoutMs: 6_000 },
};

/** The input: fraud-scorer on partition 0, churn-model on partition 1 (keyed by model, as producers do),
 * both drifting in the second half, plus a few undecodable messages that must become dead letters. */
function input(): RawMessage[] {
  const events = demoEvents(
    {
      seed: 20260417,
      startTime: DEMO_START_TIME,
      eventsPerSecond: 20,
      models: [fraudScorer, churnModel],
      drifts: [
        { kind: "feature-shift", modelId: "fraud-scorer", feature: "amount", fromIndex: 1500, shiftSigma: 1 },
        { kind: "class-share", modelId: "churn-model", category: "churn", fromIndex: 1500, share: 0.3 },
      ],
    },
    EVENTS,
  );
  const out: RawMessage[] = [];
  let i = 0;
  for (const event of events) {
    const partition = event.modelId === "fraud-scorer" ? 0 : 1;
    out.push({ key: event.modelId, value: JSON.stringify(event), partition });
    if (i % 1301 === 700) out.push({ key: event.modelId, value: Buffer.from([0x7b, 0x22, 0xff, 0xfe]), partition }); // '{"' + invalid UTF-8
    i++;
  }
  return out;
}

describe("delivery: crash (SIGKILL) at any point", () => {
  const { children, clients, release } = startedResources();
  afterAll(release);

  it("three SIGKILLs mid-stream and restarts end in the state and outputs of an uninterrupted run", async () => {
    const { raw, config, kafka } = await serviceProcessSetup("delivery-crash", SETTINGS, PARTITIONS);
    const { topics, groupId } = config.kafka;
    await produceRaw(kafka, topics.predictions, input());

    // The oracle reads back exactly what the service will read.
    const onTopic = await readAllMessages(kafka, topics.predictions);
    const expected = uninterruptedRun(onTopic, topics.predictions, config);
    expect(expected.valid).toBe(EVENTS);
    expect(expected.driftIds.size).toBeGreaterThanOrEqual(2); // both models go critical (one incident each, reported on change)
    expect(expected.retrainIds.size).toBe(2); // one per model: cooldown (12 h of event time) outlasts the stream
    expect(expected.deadLetterIds.size).toBe(5);
    const total = onTopic.length;

    const refs = [...Array(PARTITIONS).keys()].map((partition) => ({ group: groupId, topic: topics.predictions, partition }));
    const offsetKeys = refs.map((r) => partitionKeys(config.redis.keyPrefix, r).offset);
    const redis = new Redis(infra().redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
    clients.push({ close: () => redis.quit() });
    /** messages applied so far (both partitions), from the offsets stored with the state */
    const applied = async () => {
      const stored = await redis.mget(...offsetKeys);
      return stored.reduce((n, o) => n + (o === null ? 0 : Number(o) + 1), 0);
    };

    // ---- three crashes ----
    const killedAt: number[] = [];
    for (const { after, delayMs } of KILLS) {
      const before = await applied();
      const service = startServiceProcess(raw, { metricsPort: await freePort() });
      children.push(service);
      // Kill once this run applied something and the threshold is passed.
      await waitFor(
        `${after} messages applied`,
        async () => ((await applied()) >= Math.max(after, before + 1) ? true : undefined),
        150_000,
        2,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; applied ${before} before this run; service output:\n${service.output.slice(-40).join("\n")}`);
      });
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      service.kill("SIGKILL");
      expect(await service.exited).toBe("SIGKILL");
      killedAt.push(await applied());
    }
    // Every kill left work undone (otherwise the test proved nothing).
    for (const n of killedAt) expect(n).toBeLessThan(total);

    // ---- the run that finishes ----
    const store = new RedisStateStore(infra().redisUrl, { keyPrefix: config.redis.keyPrefix });
    clients.push(store);
    const last = startServiceProcess(raw, { metricsPort: await freePort() });
    children.push(last);
    await waitFor("every message applied", async () => ((await applied()) === total ? true : undefined), 150_000, 50).catch(
      (err: Error) => {
        throw new Error(`${err.message}; service output:\n${last.output.slice(-40).join("\n")}`);
      },
    );
    await waitForOutboxesDrained(store, refs, 60_000);
    last.kill("SIGTERM");
    expect(await last.exited).toBe(0);

    // ---- state, committed offsets and outputs: the uninterrupted run's ----
    const wire = await expectUninterruptedOutcome({ store, kafka, config, refs, expected });
    // What the crashes cost on the wire (re-published outbox entries), for the record.
    console.info(
      JSON.stringify({
        test: "delivery-crash",
        killedAtApplied: killedAt,
        total,
        ...wire,
      }),
    );
  }, 600_000); // 4 starts, each waiting up to a session timeout (30 s) plus a rebalance for the killed member
});
