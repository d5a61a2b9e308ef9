import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type EngineOutput, type PredictionResult } from "../../../src/detect/engine.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";
import { decodePartitionState, encodePartitionMeta } from "../../../src/state/engine-state-codec.ts";
import { predictionStream } from "../../support/engine-streams.ts";

const START = Date.UTC(2026, 10, 1);
const NOW = START + 86_400_000;
const config = resolveConfig({
  eventTime: { maxFutureSkewMs: 3_600_000, maxPastSkewMs: 600_000 },
  defaults: { window: { maxEvents: 200, minEvents: 50, maxDurationMs: 60_000, allowedLatenessMs: 1_000 }, baseline: { warmupWindows: 3 } },
});

function run(items: Iterable<{ event: PredictionEvent; offset: string }>, wallClockMs = NOW) {
  const state = createPartitionState(0);
  const ctx = engineContextFrom(config, () => 0);
  const outputs: EngineOutput[] = [];
  const results = new Map<string, PredictionResult>();
  for (const { event, offset } of items) {
    const r = applyPrediction(state, event, offset, ctx, wallClockMs);
    results.set(offset, r);
    outputs.push(...r.outputs);
  }
  return { state, outputs, results };
}

/** 2 400 events, 100 ms apart; feature x0 shifts by 1σ from the 1 200th */
const stream = (startTime = START) =>
  [...predictionStream(2400, { seed: 8, startTime, shiftSigma: (i) => (i >= 1200 ? 1 : 0) })].map((event, i) => ({
    event,
    offset: String(i),
  }));
const withEventAt = (index: number, timestamp: number) => {
  const s = stream();
  const odd = { event: { ...s[index].event, eventId: "odd", timestamp }, offset: "odd" };
  return [...s.slice(0, index), odd, ...s.slice(index)];
};
const driftIds = (outputs: EngineOutput[]) =>
  outputs.flatMap((o) => (o.kind === "drift" ? [o.event.eventId] : o.kind === "retrain" ? [o.request.requestId] : []));
const windows = (outputs: EngineOutput[]) =>
  outputs.flatMap((o) => (o.kind === "window" ? [`${o.window.id}:${o.window.count}:${o.status}`] : []));

describe("event-time bounds in the engine", () => {
  it("an event stamped 2^52 ms among a normal stream is refused and changes nothing: same windows, same drift events", () => {
    const clean = run(stream());
    const poisoned = run(withEventAt(700, 2 ** 52));
    expect(poisoned.results.get("odd")).toMatchObject({ outcome: "timestamp_out_of_range", outputs: [] });
    expect(poisoned.state.counters).toMatchObject({ timestampOutOfRange: 1, accepted: 2400, late: 0 });
    expect(poisoned.state.maxEventTime).toBe(clean.state.maxEventTime);
    expect(windows(poisoned.outputs)).toEqual(windows(clean.outputs));
    expect(driftIds(poisoned.outputs)).toEqual(driftIds(clean.outputs));
    expect(driftIds(clean.outputs).length).toBeGreaterThan(1);
  });

  it("an event just inside the future bound is accepted; one millisecond later is refused", () => {
    const inside = run([{ event: { ...stream()[0].event, timestamp: NOW + 3_600_000 }, offset: "0" }]);
    expect(inside.results.get("0")?.outcome).toBe("accepted");
    const outside = run([{ event: { ...stream()[0].event, timestamp: NOW + 3_600_001 }, offset: "0" }]);
    expect(outside.results.get("0")?.outcome).toBe("timestamp_out_of_range");
    expect(outside.state.models.size).toBe(0);
  });

  it("an event older than the watermark minus maxPastSkewMs is refused; a late one within it is folded in", () => {
    const s = stream().slice(0, 100); // watermark: START + 9 900
    const r = run([
      ...s,
      { event: { ...s[0].event, eventId: "late", timestamp: START + 9_900 - 600_000 }, offset: "late" },
      { event: { ...s[0].event, eventId: "old", timestamp: START + 9_900 - 600_001 }, offset: "old" },
    ]);
    expect(r.results.get("late")?.outcome).toBe("late");
    expect(r.results.get("old")).toMatchObject({ outcome: "timestamp_out_of_range" });
    expect((r.results.get("old") as { message: string }).message).toMatch(/older than the partition's watermark minus maxPastSkewMs/);
  });

  it("event times before 1970 work like any others: same windows, none late", () => {
    const offset = START - Date.UTC(1955, 0, 1);
    const shifted = stream().map(({ event, offset: o }) => ({ event: { ...event, timestamp: event.timestamp - offset }, offset: o }));
    expect(shifted[0].event.timestamp).toBeLessThan(0);
    const before1970 = run(shifted);
    const clean = run(stream());
    expect(before1970.state.counters).toMatchObject({ accepted: 2400, late: 0, timestampOutOfRange: 0 });
    expect(windows(before1970.outputs)).toEqual(windows(clean.outputs));
  });

  it("a paused stream that resumes 30 days later closes its window by time instead of being refused", () => {
    const s = stream().slice(0, 100);
    const later = { event: { ...s[0].event, eventId: "resumed", timestamp: START + 30 * 86_400_000 }, offset: "resumed" };
    const r = run([...s, later], START + 30 * 86_400_000);
    expect(r.results.get("resumed")?.outcome).toBe("accepted");
    expect(windows(r.outputs)).toEqual(["m@v1/p0/w0:100:ok"]);
  });

  it("one corrupted timestamp 115 days ahead in a stream replayed a year later is refused; the events after it are accepted", () => {
    const aYearLater = START + 365 * 86_400_000;
    const clean = run(stream(), aYearLater);
    const corrupted = run(withEventAt(700, START + 115 * 86_400_000), aYearLater);
    expect(corrupted.results.get("odd")).toMatchObject({ outcome: "timestamp_out_of_range" });
    expect((corrupted.results.get("odd") as { message: string }).message).toMatch(
      /jumps more than maxForwardJumpMs ahead of the partition's watermark .*; 1 of 3 events in a row confirm the jump/,
    );
    expect(corrupted.state.counters).toMatchObject({ timestampOutOfRange: 1, accepted: 2400, late: 0 });
    expect(windows(corrupted.outputs)).toEqual(windows(clean.outputs));
    expect(driftIds(corrupted.outputs)).toEqual(driftIds(clean.outputs));
    expect(corrupted.state.pendingForwardJump).toBeNull();
  });

  it("outlying timestamps among on-time traffic never confirm each other", () => {
    const aYearLater = START + 365 * 86_400_000;
    const s = stream().slice(0, 300);
    const items = s.flatMap((x, i) =>
      i % 50 === 25 ? [{ event: { ...x.event, eventId: `odd${i}`, timestamp: START + 100 * 86_400_000 }, offset: `odd${i}` }, x] : [x],
    );
    const r = run(items, aYearLater);
    expect(r.state.counters).toMatchObject({ timestampOutOfRange: 6, accepted: 300 });
    expect(r.state.maxEventTime).toBe(s[299].event.timestamp);
  });

  it("a historical stream that resumes after 30 days is accepted from the third event at the new time (the first two are refused)", () => {
    const aYearLater = START + 365 * 86_400_000;
    const s = stream().slice(0, 100);
    const resumed = [0, 1, 2, 3].map((k) => ({
      event: { ...s[k].event, eventId: `resumed${k}`, timestamp: START + 30 * 86_400_000 + k * 100 },
      offset: `resumed${k}`,
    }));
    const r = run([...s, ...resumed], aYearLater);
    expect(resumed.map((x) => r.results.get(x.offset)?.outcome)).toEqual([
      "timestamp_out_of_range",
      "timestamp_out_of_range",
      "accepted",
      "accepted",
    ]);
    expect((r.results.get("resumed1") as { message: string }).message).toMatch(/2 of 3 events in a row confirm the jump/);
    expect(windows(r.outputs)).toEqual(["m@v1/p0/w0:100:ok"]);
  });

  it("with forwardJumpConfirmations 1 a jump is accepted at once", () => {
    const once = resolveConfig({ eventTime: { forwardJumpConfirmations: 1 } });
    const state = createPartitionState(0);
    const ctx = engineContextFrom(once, () => 0);
    const s = stream().slice(0, 10);
    for (const { event, offset } of s) applyPrediction(state, event, offset, ctx, START + 365 * 86_400_000);
    const r = applyPrediction(state, { ...s[0].event, timestamp: START + 30 * 86_400_000 }, "jump", ctx, START + 365 * 86_400_000);
    expect(r.outcome).toBe("accepted");
  });

  it("a pending forward jump survives the stored meta record", () => {
    const state = createPartitionState(2);
    state.maxEventTime = START;
    state.pendingForwardJump = { firstTime: START + 30 * 86_400_000, count: 2 };
    const restored = decodePartitionState(2, encodePartitionMeta(state), new Map());
    expect(restored.pendingForwardJump).toEqual({ firstTime: START + 30 * 86_400_000, count: 2 });
    expect(decodePartitionState(2, encodePartitionMeta(createPartitionState(2)), new Map()).pendingForwardJump).toBeNull();
  });

  it("the watermark of a partition without events survives the stored meta record", () => {
    const state = createPartitionState(3);
    expect(state.maxEventTime).toBe(Number.NEGATIVE_INFINITY);
    const restored = decodePartitionState(3, encodePartitionMeta(state), new Map());
    expect(restored.maxEventTime).toBe(Number.NEGATIVE_INFINITY);
    expect(restored.counters).toEqual(state.counters);
  });
});
