// Persisting a model's outcome join per chunk on the real Redis (issue 11): the incremental write (format 2:
// the record without the entries plus only the changed entries, one hash field each) against the whole-state
// rewrite of 0.1.0 (format 1: every pending prediction re-encoded and rewritten with every chunk), same run,
// same RedisStateStore.commitPartition, at 10 000 and 200 000 (performance.maxPending) pending predictions.
// A chunk is CHUNK predictions plus as many outcomes for predictions made `pending` earlier, so what waits
// stays at `pending`. Measured: encode + commit per chunk, bytes sent, Redis memory of the join; and a load
// (loadPartition + decode) of the partition, which the service does once per assignment, not per chunk.
// Uses REDIS_URL, else starts a throwaway redis-server on a free loopback port.
// Run: npx tsx test/bench/outcome-join-state.bench.ts     Output: one JSON object per line.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { applyOutcome, clearJoinChanges, registerPrediction, type JoinSettings } from "../../src/outcomes/join.ts";
import { createModelOutcomeState, type ModelOutcomeState } from "../../src/outcomes/tracker.ts";
import { modelJoinKey, partitionKeys } from "../../src/state/keys.ts";
import { joinEntryChanges } from "../../src/state/join-entry-codec.ts";
import { decodeModelOutcomes, encodeModelOutcomes, encodeModelOutcomesInlineJoin } from "../../src/state/outcome-state-codec.ts";
import type { ModelWrite, PartitionRef, PartitionWrite } from "../../src/state/port.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { startOwnRedis } from "../support/own-redis.ts";

const CHUNK = Number(process.env.BENCH_JOIN_CHUNK ?? 500);
const SIZES = (process.env.BENCH_JOIN_PENDING ?? "10000,200000").split(",").map(Number);
const SETTINGS: JoinSettings = { labelDelayMs: 7 * 86_400_000, maxPending: 200_000, maxEarlyOutcomes: 200_000 };
const MODEL = "fraud-scorer";

/** REDIS_URL when set, else a throwaway redis-server of this run (test/support/own-redis.ts). */
async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  return process.env.REDIS_URL ? { url: process.env.REDIS_URL, stop: async () => {} } : startOwnRedis();
}

/** Event i of the stream: prediction `p-i` at i seconds. */
function predict(state: ModelOutcomeState, i: number): void {
  registerPrediction(
    state.join,
    `p-${i}`,
    {
      modelVersion: "2026-11-01",
      windowId: `${MODEL}|2026-11-01|0|${Math.floor(i / 1000)}`,
      timestamp: 1_763_769_600_000 + i * 1000,
      predictedClass: i % 7 === 0 ? "fraud" : "ok",
      prediction: null,
      confidence: 0.5 + (i % 50) / 100,
    },
    SETTINGS,
  );
}

function outcome(state: ModelOutcomeState, i: number, offset: number): void {
  applyOutcome(
    state.join,
    { eventId: `p-${i}`, timestamp: 1_763_769_600_000 + i * 1000 + 3_600_000, offset: String(offset), actual: null, actualClass: "ok" },
    SETTINGS,
  );
}

interface Timing {
  meanMs: number;
  p50Ms: number;
  maxMs: number;
}

function timing(times: number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    meanMs: round(sorted.reduce((s, t) => s + t, 0) / sorted.length),
    p50Ms: round(sorted[Math.floor(sorted.length / 2)]),
    maxMs: round(sorted[sorted.length - 1]),
  };
}

interface Run {
  persist: Timing;
  bytesPerChunk: number;
  redisBytes: number;
  load: Timing;
}

async function run(
  store: RedisStateStore,
  admin: Redis,
  ref: PartitionRef,
  pending: number,
  format: "incremental" | "whole",
): Promise<Run> {
  const state = createModelOutcomeState(MODEL);
  for (let i = 0; i < pending; i++) predict(state, i);
  const iterations = pending >= 100_000 ? 8 : 30;
  const warmup = 2;
  let offset: string | null = null;
  let outcomeOffset: string | null = null;
  let next = pending;
  let outcomes = 0;
  const times: number[] = [];
  let bytes = 0;
  for (let it = 0; it < warmup + iterations; it++) {
    // the join's own work is the same for both formats: not measured
    for (let k = 0; k < CHUNK; k++) {
      predict(state, next);
      outcome(state, next - pending, outcomes++);
      next++;
    }
    const start = process.hrtime.bigint();
    let change: ModelWrite;
    let sent: number;
    if (format === "whole" || it === 0) {
      // the first write of the incremental format stores every entry (like a migration): not measured
      const all = format === "whole" ? null : joinEntryChanges(state.join);
      change = all === null ? { outcomes: encodeModelOutcomesInlineJoin(state) } : { outcomes: encodeModelOutcomes(state), join: all };
      sent = change.outcomes!.byteLength;
    } else {
      const join = joinEntryChanges(state.join);
      change = { outcomes: encodeModelOutcomes(state), join };
      sent = change.outcomes!.byteLength;
      for (const [f, v] of join.put) sent += f.length + v.byteLength;
      for (const f of join.delete) sent += f.length;
    }
    const write: PartitionWrite = {
      expectedOffset: offset,
      offset: String(next - 1),
      expectedOutcomeOffset: outcomeOffset,
      outcomeOffset: String(outcomes - 1),
      meta: new Uint8Array(16),
      models: new Map([[MODEL, change]]),
      outbox: [],
    };
    await store.commitPartition(ref, write);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    clearJoinChanges(state.join);
    offset = write.offset;
    outcomeOffset = write.outcomeOffset ?? null;
    if (it >= warmup) {
      times.push(ms);
      bytes += sent;
    }
  }
  const keys = partitionKeys(store.keyPrefix, ref);
  const joinKey = modelJoinKey(store.keyPrefix, ref, MODEL);
  const redisBytes =
    Number((await admin.call("MEMORY", "USAGE", keys.outcomes, "SAMPLES", "0")) ?? 0) +
    Number((await admin.call("MEMORY", "USAGE", joinKey, "SAMPLES", "0")) ?? 0);
  const loads: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    const stored = await store.loadPartition(ref);
    const model = stored.models.get(MODEL)!;
    const back = decodeModelOutcomes(MODEL, model.outcomes!, model.joinEntries ?? new Map());
    loads.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (back.join.pending.size !== state.join.pending.size)
      throw new Error(`loaded ${back.join.pending.size} pending, wrote ${state.join.pending.size}`);
  }
  return { persist: timing(times), bytesPerChunk: Math.round(bytes / iterations), redisBytes, load: timing(loads) };
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const keyPrefix = `ddbench-${randomBytes(4).toString("hex")}`;
  const store = new RedisStateStore(redis.url, { keyPrefix });
  const admin = new Redis(redis.url);
  try {
    for (const pending of SIZES) {
      const whole = await run(store, admin, { group: "bench", topic: `whole-${pending}`, partition: 0 }, pending, "whole");
      const incremental = await run(
        store,
        admin,
        { group: "bench", topic: `incremental-${pending}`, partition: 0 },
        pending,
        "incremental",
      );
      const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
      for (const [name, r] of [
        ["whole-state rewrite (0.1.0, baseline)", whole],
        ["incremental (format 2)", incremental],
      ] as const) {
        console.log(
          JSON.stringify({
            bench: "outcome-join-state",
            format: name,
            pending,
            chunkPredictions: CHUNK,
            chunkOutcomes: CHUNK,
            persistP50Ms: r.persist.p50Ms,
            persistMeanMs: r.persist.meanMs,
            persistMaxMs: r.persist.maxMs,
            bytesPerChunk: r.bytesPerChunk,
            redisMemoryBytes: r.redisBytes,
            loadP50Ms: r.load.p50Ms,
            ...(r === incremental
              ? { baseline: "whole-state rewrite", persistP50RatioToBaseline: ratio(r.persist.p50Ms, whole.persist.p50Ms) }
              : {}),
          }),
        );
      }
    }
  } finally {
    // only this run's keys: REDIS_URL may be a Redis others use
    let cursor = "0";
    do {
      const [nextCursor, keys] = await admin.scan(cursor, "MATCH", `${keyPrefix}:*`, "COUNT", 1000);
      cursor = nextCursor;
      if (keys.length > 0) await admin.del(...keys);
    } while (cursor !== "0");
    await admin.quit();
    await store.close();
    await redis.stop();
  }
}

await main();
