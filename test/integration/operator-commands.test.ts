// The operator's commands against a running service on the real broker and Redis (issue 11): after a
// drift run, `status` shows the critical version, its incident, last window and baselines; `retrain`
// publishes a manual request only outside the cooldown the service's own request started, or with --force.
// A second model (a classifier with outcomes on the outcomes topic, in the same partition and event-time
// span) shows `status` reading the performance signal from the stored state.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import { versionBaselines } from "../../src/cli/baseline-show.ts";
import { requestManualRetrain } from "../../src/cli/retrain.ts";
import { versionStatuses } from "../../src/cli/status.ts";
import { readStoredPartitions } from "../../src/cli/stored-state.ts";
import { baselineEventSchema, retrainRequestSchema } from "../../src/events/schemas.ts";
import { publishOutput } from "../../src/kafka/one-shot-publisher.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import {
  createServiceTopics,
  DRIFTING_MODEL as MODEL,
  DRIFTING_VERSION as VERSION,
  driftingStream,
  harnessKafka,
  operatorCli,
  predictionMessages,
  produceRaw,
  readAllMessages,
  serviceRawConfig,
  SHIFTED,
  startServiceInProcess,
  STATIONARY,
  waitForCommittedEnd,
  type InProcessService,
} from "../support/service-harness.ts";
import { resolveConfig } from "../../src/config/load.ts";
import { classifierStream } from "../support/outcome-streams.ts";
import type { OutcomeEvent, PredictionEvent } from "../../src/events/types.ts";

const CLASSIFIER = "clf";
const CLASSIFIED = 1000;

describe("operator commands against a running service", () => {
  const raw = serviceRawConfig("opscmd", {
    defaults: {
      window: { maxEvents: 200, minEvents: 50 },
      baseline: { warmupWindows: 3 },
      detection: { consecutiveWindows: 2 },
      retrain: { consecutiveWindows: 2 },
    },
    models: {
      [CLASSIFIER]: { performance: { enabled: true, maxOutcomes: 200, minOutcomes: 50, referenceWindows: 3, maxEarlyOutcomes: 5000 } },
    },
  });
  const config = resolveConfig(raw, {}, "test:opscmd");
  const configFile = join(mkdtempSync(join(tmpdir(), "opscmd-")), "config.json");
  writeFileSync(configFile, JSON.stringify(raw));
  const cli = operatorCli(configFile);
  let kafka: Kafka;
  let service: InProcessService | undefined;
  let store: RedisStateStore;
  const classified = (() => {
    const inputs = classifierStream({
      seed: 7,
      count: CLASSIFIED,
      modelId: CLASSIFIER,
      startTime: driftingStream()[0].timestamp,
      stepMs: 10,
      labelDelayMs: 10_000,
      accuracy: () => 0.9,
    });
    return {
      predictions: inputs.flatMap((x) => (x.kind === "prediction" ? [x.event as PredictionEvent] : [])),
      outcomes: inputs.flatMap((x) => (x.kind === "outcome" ? [x.event as OutcomeEvent] : [])),
      correct: inputs.flatMap((x) => (x.kind === "prediction" ? [x.correct] : [])),
    };
  })();

  beforeAll(async () => {
    kafka = harnessKafka();
    await createServiceTopics(kafka, config, 1);
    store = new RedisStateStore(config.redis.url, { keyPrefix: config.redis.keyPrefix });
    service = await startServiceInProcess(config);
    // the classifier's events inside the drifting model's event-time span, merged in time order: the
    // partition's watermark (and so the drifting model's baseline ages) stays the drifting stream's
    const predictions = [...driftingStream(), ...classified.predictions].sort((a, b) => a.timestamp - b.timestamp);
    await produceRaw(kafka, config.kafka.topics.predictions, predictionMessages(predictions));
    await produceRaw(
      kafka,
      config.kafka.topics.outcomes,
      classified.outcomes.map((o) => ({ key: o.modelId, value: JSON.stringify(o) })),
    );
    await waitForCommittedEnd(kafka, config.kafka.groupId, config.kafka.topics.predictions, STATIONARY + SHIFTED + CLASSIFIED);
    await waitForCommittedEnd(kafka, config.kafka.groupId, config.kafka.topics.outcomes, CLASSIFIED);
    // the service's drift request is published (and holds the cooldown lock) once the outbox drained
    await waitForTopic(kafka, config.kafka.topics.retrain, 1);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await store?.close();
  });

  it("status: the drifted version is critical with an open incident, its last window and a captured reference", async () => {
    const [row, ...others] = versionStatuses(await readStoredPartitions(store, config), config, MODEL);
    expect(others).toEqual([]);
    expect(row.performance).toBeNull();
    expect(row).toMatchObject({ modelId: MODEL, modelVersion: VERSION, status: "critical", partitions: [0], windowsClosed: 11 });
    expect(row.incident).toMatchObject({ peakStatus: "critical" });
    expect(row.lastWindow).toMatchObject({ id: `${MODEL}@${VERSION}/p0/w10`, count: 200, level: "critical" });
    // 3 warmup windows of 200 events, 10 ms apart; the watermark is the last event's time
    expect(row.reference).toMatchObject({ state: "pinned", source: "warmup", count: 600 });
    const first = driftingStream()[0].timestamp;
    const last = first + (STATIONARY + SHIFTED - 1) * 10;
    if (row.reference.state !== "pinned") throw new Error("no reference");
    expect(row.reference.ageMs).toBe(last - row.reference.end);
    expect(row.reference.end).toBe(first + 599 * 10);
    // drifted windows never enter the rolling baseline: it holds the 5 stationary ones (3 warmup, 2 evaluated ok)
    expect(row.rolling).toMatchObject({ windows: 5, count: 1000, ageMs: last - (first + 999 * 10) });
  });

  it("status: the classifier's performance — last window of joined outcomes, reference, join counters — from Redis", async () => {
    const [row] = versionStatuses(await readStoredPartitions(store, config), config, CLASSIFIER);
    const p = row.performance;
    if (p === null) throw new Error("no performance state stored for the classifier");
    // 1 000 joined outcomes in windows of 200, joined in prediction order (both topics are in index order)
    expect(p).toMatchObject({
      status: "ok",
      incident: null,
      windowsClosed: 5,
      lastWindow: { id: `${CLASSIFIER}/v1/performance/4`, level: "ok" },
    });
    const accuracy = (from: number, to: number) => classified.correct.slice(from, to).filter(Boolean).length / (to - from);
    expect(p.lastWindow?.summary.outcomes).toBe(200);
    expect(p.lastWindow?.summary.accuracy).toBeCloseTo(accuracy(800, 1000), 12);
    expect(p.lastWindow?.summary.labelDelayMs).toEqual({ p50: 10_000, p90: 10_000, p99: 10_000 });
    expect(p.reference).toMatchObject({ state: "pinned", windows: 3, summary: { outcomes: 600 } });
    if (p.reference.state !== "pinned") throw new Error("no performance reference");
    expect(p.reference.summary.accuracy).toBeCloseTo(accuracy(0, 600), 12);
    expect(p.join).toMatchObject({ predictions: CLASSIFIED, matched: CLASSIFIED, expired: 0, unknown: 0, pending: 0, earlyWaiting: 0 });
    // the estimate needs the performance reference before the last prediction window closed: the read order decides
    expect(p.estimatedAccuracy === null || Math.abs(p.estimatedAccuracy - p.reference.summary.accuracy!) < 0.05).toBe(true);

    const table = await cli("status", "--model", CLASSIFIER);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[1]).toMatch(
      new RegExp(`\\sok acc=${p.lastWindow!.summary.accuracy!.toFixed(4)} ref=${p.reference.summary.accuracy!.toFixed(4)}$`),
    );
    expect(lines[3]).toContain(`${CLASSIFIER} v1 performance ok; last 4 `);
    expect(lines[3]).toContain(`join matched=${CLASSIFIED} expired=0 unmatched=0 pending=0`);
  });

  it("status as a table and as JSON from the command line (read-only)", async () => {
    const table = await cli("status");
    expect(table.code).toBe(0);
    const [header, ...lines] = table.stdout.trim().split("\n");
    const line = lines.find((l) => l.startsWith(`${MODEL} `));
    expect(header).toMatch(/^MODEL\s+VERSION\s+STATUS\s+INCIDENT\s+LAST WINDOW\s+REFERENCE\s+REF AGE\s+ROLLING\s+ROLL AGE\s+PERFORMANCE$/);
    expect(line).toMatch(new RegExp(`^${MODEL}\\s+${VERSION}\\s+critical\\s+\\S+ \\(\\d+ windows, peak critical\\)\\s+w10 `));
    expect(line).toContain("warmup n=600");
    const json = await cli("status", "--model", MODEL, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject([{ modelId: MODEL, status: "critical" }]);
    expect(JSON.parse((await cli("status", "--model", "nobody", "--json")).stdout)).toEqual([]);
  });

  it("baseline show: the reference's counts, quantiles and categories", async () => {
    const [v] = versionBaselines(await readStoredPartitions(store, config), config, MODEL, VERSION);
    const amount = v.reference?.signals.find((s) => s.signal === "feature:amount");
    const stream = driftingStream().slice(0, 600);
    const values = stream.map((e) => e.features!.amount as number).sort((a, b) => a - b);
    expect(amount).toMatchObject({ kind: "numeric", count: 600, missing: 0, min: values[0], max: values[599] });
    if (amount?.kind !== "numeric") throw new Error("amount is not numeric");
    // the median from the t-digest within 1 % of the spread of the exact one
    expect(Math.abs(amount.quantiles.p50 - (values[299] + values[300]) / 2)).toBeLessThan(0.01 * (values[599] - values[0]));
    const country = v.reference?.signals.find((s) => s.signal === "feature:country");
    if (country?.kind !== "categorical") throw new Error("country is not categorical");
    const exact = new Map<string, number>();
    for (const e of stream) exact.set(e.features!.country as string, (exact.get(e.features!.country as string) ?? 0) + 1);
    expect(new Map(country.categories.map((c) => [c.value, c.count]))).toEqual(exact);
    expect(v.rolling?.count).toBe(1000);
    const text = await cli("baseline", "show", "--model", MODEL);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/feature:amount: n=600 missing=0 mean=\S+ sd=\S+ min=\S+ max=\S+ p1=\S+ p5=/);
    expect((await cli("baseline", "show", "--model", "nobody")).code).toBe(1);
  });

  it("retrain: refused inside the cooldown the service's drift request started (exit 3, says until when)", async () => {
    const holder = await store.retrainLockHolder(MODEL);
    const [drift] = await readAllMessages(kafka, config.kafka.topics.retrain);
    expect(holder?.holder).toBe(drift.headers["request-id"]);
    const refused = await cli("retrain", "--model", MODEL, "--reason", "new labels");
    expect(refused.code).toBe(3);
    const until = /cooldown until (\S+) \(held by request (\w+)\)/.exec(refused.stderr);
    expect(until?.[2]).toBe(holder?.holder);
    // the lock's TTL is the configured 12 h cooldown, counted from when the service took it
    const untilMs = Date.parse(until![1]);
    expect(untilMs).toBeGreaterThan(Date.now() + 11 * 3_600_000);
    expect(untilMs).toBeLessThanOrEqual(Date.now() + 12 * 3_600_000);
    expect((await readAllMessages(kafka, config.kafka.topics.retrain)).length).toBe(1);
  });

  it("retrain --force publishes a manual request with the note, takes the cooldown, and a second one is refused", async () => {
    const before = Date.now();
    const forced = await cli("retrain", "--model", MODEL, "--reason", "new labels from November", "--force");
    expect(forced.code, forced.stderr).toBe(0);
    const messages = await readAllMessages(kafka, config.kafka.topics.retrain);
    expect(messages).toHaveLength(2);
    const request = retrainRequestSchema.parse(JSON.parse(messages[1].value!.toString("utf8")));
    expect(request).toMatchObject({
      reason: "manual",
      modelId: MODEL,
      modelVersion: VERSION,
      severity: "critical",
      note: "new labels from November",
      evidence: { windows: [`${MODEL}@${VERSION}/p0/w10`] },
    });
    expect(request.incidentId).toEqual(expect.any(String));
    expect(request.requestedAt).toBeGreaterThanOrEqual(before);
    expect(request.cooldownUntil).toBe(request.requestedAt + config.settingsFor(MODEL).retrain.cooldownMs);
    expect(messages[1].headers).toMatchObject({ "request-id": request.requestId, reason: "manual", "model-id": MODEL });
    expect(forced.stdout).toContain(`published request ${request.requestId}`);
    expect((await store.retrainLockHolder(MODEL))?.holder).toBe(request.requestId);

    const again = await requestManualRetrain({
      config,
      store,
      modelId: MODEL,
      note: "once more",
      force: false,
      now: Date.now(),
      publish: (entry) => publishOutput(config, entry),
    });
    expect(again).toMatchObject({ kind: "cooldown", holder: request.requestId });
    expect(await readAllMessages(kafka, config.kafka.topics.retrain)).toHaveLength(2);
  });

  it("retrain outside any cooldown publishes, and a failed publish leaves no cooldown behind", async () => {
    const other = "other-model";
    const noState = await requestManualRetrain({
      config,
      store,
      modelId: other,
      note: "x",
      force: false,
      now: Date.now(),
      publish: () => Promise.resolve(),
    });
    expect(noState).toEqual({ kind: "no-state", modelId: other });
    const failed = requestManualRetrain({
      config,
      store,
      modelId: other,
      modelVersion: "v9",
      note: "x",
      force: false,
      now: Date.now(),
      publish: () => Promise.reject(new Error("broker gone")),
    });
    await expect(failed).rejects.toThrow("broker gone");
    expect(await store.retrainLockHolder(other)).toBeNull();
    const published = await requestManualRetrain({
      config,
      store,
      modelId: other,
      modelVersion: "v9",
      note: "first model version",
      force: false,
      now: Date.now(),
      publish: (entry) => publishOutput(config, entry),
    });
    expect(published).toMatchObject({ kind: "published", request: { modelVersion: "v9", severity: "ok", incidentId: null } });
    expect(await readAllMessages(kafka, config.kafka.topics.retrain)).toHaveLength(3);
  });

  it("baseline reset takes effect in the running service: a new reference from the next windows, then the status clears", async () => {
    const reset = await cli("baseline", "reset", "--model", MODEL, "--request-id", "reset-test-1");
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toContain(
      `baseline reset reset-test-1: control records for ${MODEL}@${VERSION} on ${config.kafka.topics.predictions} partitions 0 ` +
        `(reference now: ${MODEL}@${VERSION}/reference/w0-w2)`,
    );
    // one control record after the events; the service applies it in order and records it in a BaselineEvent
    await waitForCommittedEnd(kafka, config.kafka.groupId, config.kafka.topics.predictions, STATIONARY + SHIFTED + CLASSIFIED + 1);
    const [baseline] = await readAllMessages(kafka, config.kafka.topics.baseline);
    expect(baselineEventSchema.parse(JSON.parse(baseline.value!.toString("utf8")))).toMatchObject({
      kind: "reference_reset",
      requestId: "reset-test-1",
      previousReference: { kind: "reference", id: `${MODEL}@${VERSION}/reference/w0-w2`, count: 600 },
      endedIncidentId: null,
    });

    // the shifted behaviour goes on: 3 windows capture the new reference (not evaluated), 3 are compared with it
    const all = driftingStream();
    const shifted = all.slice(STATIONARY);
    const next = (from: number, n: number) =>
      shifted.slice(from, from + n).map((e, j) => ({
        ...e,
        eventId: `after-reset-${from + j}`,
        timestamp: all[0].timestamp + (STATIONARY + SHIFTED + from + j) * 10,
      }));
    await produceRaw(kafka, config.kafka.topics.predictions, predictionMessages(next(0, 600)));
    await waitForCommittedEnd(kafka, config.kafka.groupId, config.kafka.topics.predictions, STATIONARY + SHIFTED + CLASSIFIED + 1 + 600);
    const captured = storedVersion(await readStoredPartitions(store, config));
    expect(captured.reference?.id).toBe(`${MODEL}@${VERSION}/reference/w11-w13`);
    expect(captured.hysteresis.status).toBe("critical"); // nothing evaluated while capturing
    expect(captured.lastWindow).toMatchObject({ id: `${MODEL}@${VERSION}/p0/w13`, level: null });

    await produceRaw(kafka, config.kafka.topics.predictions, predictionMessages(next(600, 600)));
    await waitForCommittedEnd(kafka, config.kafka.groupId, config.kafka.topics.predictions, STATIONARY + SHIFTED + CLASSIFIED + 1 + 1200);
    const [row] = versionStatuses(await readStoredPartitions(store, config), config, MODEL);
    expect(row).toMatchObject({ status: "ok", incident: null, lastWindow: { id: `${MODEL}@${VERSION}/p0/w16`, level: "ok" } });
    expect(row.reference).toMatchObject({ state: "pinned", id: `${MODEL}@${VERSION}/reference/w11-w13`, count: 600 });
    // applied once, by the one partition holding the version
    expect(service?.logLines.filter((l) => l.includes("control record applied"))).toHaveLength(1);
    expect(await readAllMessages(kafka, config.kafka.topics.baseline)).toHaveLength(1);
  }, 120_000);
});

function storedVersion(states: Awaited<ReturnType<typeof readStoredPartitions>>) {
  return states[0].models.get(MODEL)!.versions.get(VERSION)!;
}

async function waitForTopic(kafka: Kafka, topic: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await readAllMessages(kafka, topic, 10_000).catch(() => [])).length < count) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} messages on ${topic}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
