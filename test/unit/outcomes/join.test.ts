import { describe, expect, it } from "vitest";
import {
  applyOutcome,
  createJoinState,
  registerPrediction,
  type JoinSettings,
  type PendingPrediction,
} from "../../../src/outcomes/join.ts";

const DAY = 86_400_000;
const settings: JoinSettings = { labelDelayMs: 7 * DAY, maxPending: 1000, maxEarlyOutcomes: 100 };

function prediction(timestamp: number, predictedClass = "a", confidence: number | null = 0.8): PendingPrediction {
  return { modelVersion: "v1", windowId: "m/v1/0/0", timestamp, predictedClass, prediction: null, confidence };
}

describe("outcome join", () => {
  it("joins an outcome to its waiting prediction and keeps only the metric fields and the label delay", () => {
    const s = createJoinState();
    expect(registerPrediction(s, "e1", prediction(1000), settings)).toBeNull();
    const joined = applyOutcome(s, { eventId: "e1", timestamp: 1000 + 3_600_000, offset: "0", actual: null, actualClass: "b" }, settings);
    expect(joined).toEqual({
      modelVersion: "v1",
      windowId: "m/v1/0/0",
      timestamp: 1000,
      predictedClass: "a",
      prediction: null,
      confidence: 0.8,
      eventId: "e1",
      outcomeTime: 1000 + 3_600_000,
      outcomeOffset: "0",
      actual: null,
      actualClass: "b",
      labelDelayMs: 3_600_000,
    });
    expect(s.pending.size).toBe(0);
    expect(s.counters).toMatchObject({ predictions: 1, matched: 1, expired: 0, early: 0 });
  });

  it("buffers an outcome that arrives before its prediction and joins it when the prediction comes", () => {
    const s = createJoinState();
    expect(applyOutcome(s, { eventId: "e1", timestamp: 5000, offset: "0", actual: null, actualClass: "a" }, settings)).toBeNull();
    expect(s.counters.early).toBe(1);
    const joined = registerPrediction(s, "e1", prediction(4000), settings);
    expect(joined?.labelDelayMs).toBe(1000);
    expect(joined?.actualClass).toBe("a");
    expect(s.early.size).toBe(0);
    expect(s.counters).toMatchObject({ matched: 1, early: 1, unknown: 0 });
  });

  it("counts a second outcome for a joined prediction as a duplicate and does not join it again", () => {
    const s = createJoinState();
    registerPrediction(s, "e1", prediction(1000), settings);
    expect(applyOutcome(s, { eventId: "e1", timestamp: 2000, offset: "0", actual: null, actualClass: "a" }, settings)).not.toBeNull();
    expect(applyOutcome(s, { eventId: "e1", timestamp: 3000, offset: "0", actual: null, actualClass: "b" }, settings)).toBeNull();
    // two early outcomes for the same id: the second is a duplicate too
    applyOutcome(s, { eventId: "e2", timestamp: 3000, offset: "0", actual: null, actualClass: "b" }, settings);
    applyOutcome(s, { eventId: "e2", timestamp: 3001, offset: "0", actual: null, actualClass: "b" }, settings);
    expect(s.counters).toMatchObject({ matched: 1, duplicateOutcomes: 2, early: 1 });
  });

  it("counts a repeated prediction eventId as a duplicate and keeps the first", () => {
    const s = createJoinState();
    registerPrediction(s, "e1", prediction(1000, "a"), settings);
    registerPrediction(s, "e1", prediction(1001, "b"), settings);
    expect(s.counters).toMatchObject({ predictions: 1, duplicatePredictions: 1 });
    expect(applyOutcome(s, { eventId: "e1", timestamp: 2000, offset: "0", actual: null, actualClass: "a" }, settings)?.predictedClass).toBe(
      "a",
    );
  });

  it("expires a prediction once outcomes later than its time plus the label delay have been seen", () => {
    const s = createJoinState();
    registerPrediction(s, "old", prediction(0), settings);
    registerPrediction(s, "new", prediction(6 * DAY), settings);
    // predictions far ahead do not expire anything: the outcome side has not got there
    registerPrediction(s, "later", prediction(30 * DAY), settings);
    expect(s.pending.size).toBe(3);
    applyOutcome(s, { eventId: "new", timestamp: 7 * DAY + 1, offset: "0", actual: null, actualClass: "a" }, settings);
    expect([...s.pending.keys()]).toEqual(["later"]);
    expect(s.counters).toMatchObject({ matched: 1, expired: 1 });
  });

  it("refuses to join an outcome that came more than the label delay after its prediction", () => {
    const s = createJoinState();
    registerPrediction(s, "e1", prediction(0), settings);
    expect(applyOutcome(s, { eventId: "e1", timestamp: 8 * DAY, offset: "0", actual: null, actualClass: "a" }, settings)).toBeNull();
    expect(s.counters).toMatchObject({ matched: 0, tooLate: 1, expired: 1 });
  });

  it("counts an outcome whose prediction never arrives as unknown once predictions pass its label delay", () => {
    const s = createJoinState();
    applyOutcome(s, { eventId: "ghost", timestamp: 0, offset: "0", actual: null, actualClass: "a" }, settings);
    registerPrediction(s, "e1", prediction(7 * DAY + 1), settings);
    expect(s.early.size).toBe(0);
    expect(s.counters).toMatchObject({ early: 1, unknown: 1 });
  });

  it("bounds waiting predictions and early outcomes, counting what the bounds push out", () => {
    const small: JoinSettings = { labelDelayMs: 7 * DAY, maxPending: 3, maxEarlyOutcomes: 2 };
    const s = createJoinState();
    for (let i = 0; i < 5; i++) registerPrediction(s, `p${i}`, prediction(i), small);
    expect([...s.pending.keys()]).toEqual(["p2", "p3", "p4"]);
    expect(s.counters).toMatchObject({ predictions: 5, expired: 2, evicted: 2 });
    for (let i = 0; i < 4; i++)
      applyOutcome(s, { eventId: `o${i}`, timestamp: i, offset: String(i), actual: null, actualClass: "a" }, small);
    expect([...s.early.keys()]).toEqual(["o2", "o3"]);
    expect(s.counters).toMatchObject({ early: 4, unknown: 2 });
  });
});
