// The outcome watermark's forward-jump confirmation (outcomes/join.ts): one outcome stamped far ahead of the
// stream must not expire the pending predictions alone; forwardJumpConfirmations outcomes in a row near it do.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { engineContextFrom } from "../../../src/config/engine-context.ts";
import { applyPrediction, createPartitionState, type PartitionState } from "../../../src/detect/engine.ts";
import { applyOutcome as applyEngineOutcome } from "../../../src/detect/outcome-engine.ts";
import {
  applyOutcome,
  createJoinState,
  registerPrediction,
  type JoinSettings,
  type JoinState,
  type OutcomeJumpBounds,
} from "../../../src/outcomes/join.ts";
import { createModelOutcomeState, type ModelOutcomeState } from "../../../src/outcomes/tracker.ts";
import { decodeModelOutcomes, encodeModelOutcomes } from "../../../src/state/outcome-state-codec.ts";
import { encodeWholeJoin } from "../../../src/state/join-entry-codec.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = 1_763_769_600_000;
const settings: JoinSettings = { labelDelayMs: HOUR, maxPending: 1000, maxEarlyOutcomes: 100 };
const bounds: OutcomeJumpBounds = { maxForwardJumpMs: 7 * DAY, forwardJumpConfirmations: 3 };

/** 10 predictions p0..p9 a minute apart from T0, p0's outcome on time: outcome watermark T0 + 1 min. */
function joinWithTenPending(): JoinState {
  const s = createJoinState();
  for (let k = 0; k < 10; k++) {
    registerPrediction(
      s,
      `p${k}`,
      { modelVersion: "v1", windowId: "w", timestamp: T0 + k * 60_000, predictedClass: "a", prediction: null, confidence: 0.9 },
      settings,
    );
  }
  applyOutcome(s, { eventId: "p0", timestamp: T0 + 60_000, offset: "0", actual: null, actualClass: "a" }, settings, bounds);
  return s;
}

const outcome = (eventId: string, timestamp: number, offset: string) => ({ eventId, timestamp, offset, actual: null, actualClass: "a" });

describe("outcome watermark forward jump", () => {
  it("one outcome 30 days ahead of the outcome watermark expires nothing, is buffered and counted unconfirmedJumps", () => {
    const s = joinWithTenPending();
    expect(applyOutcome(s, outcome("x1", T0 + 30 * DAY, "1"), settings, bounds)).toBeNull();
    expect(s.outcomeWatermark).toBe(T0 + 60_000);
    expect(s.pending.size).toBe(9);
    expect(s.early.has("x1")).toBe(true);
    expect(s.pendingOutcomeJump).toEqual({ firstTime: T0 + 30 * DAY, count: 1 });
    expect(s.counters).toMatchObject({ matched: 1, expired: 0, early: 1, unconfirmedJumps: 1 });
  });

  it("the far outcome of a pending prediction is still decided by the label delay: too late, only its own prediction expires", () => {
    const s = joinWithTenPending();
    expect(applyOutcome(s, outcome("p1", T0 + 30 * DAY, "1"), settings, bounds)).toBeNull();
    expect(s.pending.size).toBe(8);
    expect(s.counters).toMatchObject({ tooLate: 1, expired: 1, unconfirmedJumps: 1 });
    // an on-time outcome breaks the streak and joins normally
    expect(applyOutcome(s, outcome("p2", T0 + 3 * 60_000, "2"), settings, bounds)?.eventId).toBe("p2");
    expect(s.pendingOutcomeJump).toBeUndefined();
    expect(s.outcomeWatermark).toBe(T0 + 3 * 60_000);
  });

  it("three outcomes in a row near the jump confirm it: the watermark moves to the third and the 9 pending expire", () => {
    const s = joinWithTenPending();
    applyOutcome(s, outcome("x1", T0 + 30 * DAY, "1"), settings, bounds);
    applyOutcome(s, outcome("x2", T0 + 30 * DAY + 20 * 60_000, "2"), settings, bounds);
    expect(s.pending.size).toBe(9);
    expect(s.pendingOutcomeJump).toEqual({ firstTime: T0 + 30 * DAY, count: 2 });
    applyOutcome(s, outcome("x3", T0 + 30 * DAY + 40 * 60_000, "3"), settings, bounds);
    expect(s.outcomeWatermark).toBe(T0 + 30 * DAY + 40 * 60_000);
    expect(s.pending.size).toBe(0);
    expect(s.pendingOutcomeJump).toBeUndefined();
    expect(s.counters).toMatchObject({ expired: 9, early: 3, unconfirmedJumps: 2 });
  });

  it("outliers separated by on-time outcomes never confirm each other", () => {
    const s = joinWithTenPending();
    for (let k = 1; k <= 4; k++) {
      applyOutcome(s, outcome(`x${k}`, T0 + 30 * DAY + k * HOUR, String(2 * k)), settings, bounds);
      applyOutcome(s, outcome(`p${k}`, T0 + (k + 1) * 60_000, String(2 * k + 1)), settings, bounds);
    }
    expect(s.outcomeWatermark).toBe(T0 + 5 * 60_000);
    expect(s.counters).toMatchObject({ matched: 5, expired: 0, unconfirmedJumps: 4 });
    expect(s.pending.size).toBe(5);
  });

  it("jumps more than the label delay (1 h, below maxForwardJumpMs) apart restart the count", () => {
    const s = joinWithTenPending();
    applyOutcome(s, outcome("x1", T0 + 30 * DAY, "1"), settings, bounds);
    applyOutcome(s, outcome("x2", T0 + 60 * DAY, "2"), settings, bounds);
    applyOutcome(s, outcome("x3", T0 + 30 * DAY, "3"), settings, bounds);
    expect(s.pending.size).toBe(9);
    expect(s.pendingOutcomeJump).toEqual({ firstTime: T0 + 30 * DAY, count: 1 });
  });

  it("with a label delay below maxForwardJumpMs, a jump just beyond the label delay needs confirming too", () => {
    const s = joinWithTenPending();
    applyOutcome(s, outcome("x1", T0 + 60_000 + HOUR + 1, "1"), settings, bounds);
    expect(s.outcomeWatermark).toBe(T0 + 60_000);
    expect(s.counters).toMatchObject({ expired: 0, unconfirmedJumps: 1 });
    // exactly the label delay ahead is no jump: it moves the watermark at once
    applyOutcome(s, outcome("x2", T0 + 60_000 + HOUR, "2"), settings, bounds);
    expect(s.outcomeWatermark).toBe(T0 + 60_000 + HOUR);
    expect(s.counters).toMatchObject({ expired: 0, unconfirmedJumps: 1 });
    expect(s.pendingOutcomeJump).toBeUndefined();
  });

  it("without jump bounds (the join alone) one far outcome still moves the watermark", () => {
    const s = joinWithTenPending();
    applyOutcome(s, outcome("x1", T0 + 30 * DAY, "1"), settings);
    expect(s.pending.size).toBe(0);
    expect(s.counters.expired).toBe(9);
  });
});

describe("outcome watermark forward jump across the store", () => {
  // the record and the join's entries, as the store keeps them (the entries apart, join-entry-codec.ts)
  const roundTrip = (m: ModelOutcomeState) => decodeModelOutcomes(m.modelId, encodeModelOutcomes(m), encodeWholeJoin(m.join));

  it("a jump being confirmed survives a restart: the restored run ends byte-identical to the uninterrupted one", () => {
    const run = (restartAfter: number | null) => {
      let m = createModelOutcomeState("clf");
      m.join = joinWithTenPending();
      for (let k = 1; k <= 3; k++) {
        applyOutcome(m.join, outcome(`x${k}`, T0 + 30 * DAY + k * 10 * 60_000, String(k)), settings, bounds);
        if (k === restartAfter) m = roundTrip(m);
      }
      return m;
    };
    const uninterrupted = run(null);
    expect(uninterrupted.join.pending.size).toBe(0);
    for (const restartAfter of [1, 2]) {
      const restored = run(restartAfter);
      expect(Buffer.from(encodeModelOutcomes(restored)).toString()).toBe(Buffer.from(encodeModelOutcomes(uninterrupted)).toString());
    }
    const mid = createModelOutcomeState("clf");
    mid.join = joinWithTenPending();
    applyOutcome(mid.join, outcome("x1", T0 + 30 * DAY, "1"), settings, bounds);
    expect(roundTrip(mid).join.pendingOutcomeJump).toEqual({ firstTime: T0 + 30 * DAY, count: 1 });
  });

  it("a state without a pending jump encodes without the field (records written before it stay byte-identical)", () => {
    const m = createModelOutcomeState("clf");
    m.join = joinWithTenPending();
    const text = Buffer.from(encodeModelOutcomes(m)).toString();
    expect(text).not.toContain("pendingOutcomeJump");
    expect({ ...roundTrip(m).join, changes: null }).toEqual({ ...m.join, changes: null });
  });
});

describe("engine outcomes with the configured eventTime bounds", () => {
  const config = resolveConfig({ defaults: { performance: { enabled: true, labelDelayMs: HOUR } } });
  const ctx = { ...engineContextFrom(config, () => 0), outcomes: true };
  // the wall clock is the far outcome's time: even a jump to "now" needs confirming for outcomes
  const wallClock = T0 + 30 * DAY;

  function tenPending(): PartitionState {
    const state = createPartitionState(0);
    for (let k = 0; k < 10; k++) {
      applyPrediction(
        state,
        { eventId: `p${k}`, modelId: "clf", modelVersion: "v1", timestamp: T0 + k * 60_000, predictedClass: "a", features: { x: 1 } },
        String(k),
        ctx,
        wallClock,
      );
    }
    applyEngineOutcome(state, { eventId: "p0", modelId: "clf", timestamp: T0 + 60_000, actualClass: "a" }, "0", ctx, wallClock);
    return state;
  }

  it("an outcome stamped at the wall clock, 30 days ahead of the stream, is accepted and expires nothing", () => {
    const state = tenPending();
    const r = applyEngineOutcome(state, { eventId: "x", modelId: "clf", timestamp: wallClock, actualClass: "a" }, "1", ctx, wallClock);
    expect(r.outcome).toBe("early");
    expect("counts" in r ? r.counts : null).toEqual({ early: 1, unconfirmedJumps: 1 });
    expect(state.models.get("clf")?.outcomes?.join.pending.size).toBe(9);
    for (let k = 1; k <= 2; k++) {
      applyEngineOutcome(
        state,
        { eventId: `y${k}`, modelId: "clf", timestamp: wallClock - k, actualClass: "a" },
        String(1 + k),
        ctx,
        wallClock,
      );
    }
    expect(state.models.get("clf")?.outcomes?.join.pending.size).toBe(0);
    expect(state.models.get("clf")?.outcomes?.join.counters).toMatchObject({ expired: 9, unconfirmedJumps: 2 });
  });
});
