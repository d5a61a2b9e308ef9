import { describe, expect, it } from "vitest";
import { decodePredictionMessage } from "../../../src/events/codec.ts";
import { predictionEventSchema } from "../../../src/events/schemas.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";
import {
  DemoConfigError,
  defaultFeatureDrift,
  DEMO_START_TIME,
  demoEvent,
  demoEvents,
  type DemoStreamOptions,
} from "../../../src/demo/generator.ts";
import { FRAUD_AMOUNT_LOG_SIGMA } from "../../../src/demo/models.ts";

const base: DemoStreamOptions = { seed: 7, startTime: DEMO_START_TIME, eventsPerSecond: 30 };

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sd(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

function numericFeature(events: PredictionEvent[], modelId: string, feature: string): number[] {
  return events
    .filter((e) => e.modelId === modelId)
    .flatMap((e) => {
      const v = e.features?.[feature];
      return typeof v === "number" ? [v] : [];
    });
}

describe("demo generator", () => {
  it("the same seed gives the same events; another seed gives different ones", () => {
    const a = [...demoEvents(base, 600)];
    const b = [...demoEvents(base, 600)];
    const c = [...demoEvents({ ...base, seed: 8 }, 600)];
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(c.map((e) => e.eventId)).not.toEqual(a.map((e) => e.eventId));
    expect(c[0].features).not.toEqual(a[0].features);
  });

  it("event i does not depend on where generation starts", () => {
    const whole = [...demoEvents(base, 300)];
    const tail = [...demoEvents(base, 100, 200)];
    expect(tail).toEqual(whole.slice(200));
    expect(demoEvent(123, base)).toEqual(whole[123]);
  });

  it("interleaves the three models round-robin with unique ids and event time at the configured rate", () => {
    const events = [...demoEvents(base, 3000)];
    expect(events.slice(0, 6).map((e) => e.modelId)).toEqual([
      "fraud-scorer",
      "churn-model",
      "eta-regressor",
      "fraud-scorer",
      "churn-model",
      "eta-regressor",
    ]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(3000);
    expect(events[0].timestamp).toBe(DEMO_START_TIME);
    // 30 events/s: event 2999 is at 99.966 s
    expect(events[2999].timestamp - DEMO_START_TIME).toBe(99_966);
  });

  it("every event passes the zod PredictionEvent schema and the service's JSON decoder", () => {
    const encoder = new TextEncoder();
    for (const e of demoEvents(
      {
        ...base,
        drifts: [defaultFeatureDrift(100), { kind: "class-share", modelId: "churn-model", category: "churn", fromIndex: 100, share: 0.2 }],
      },
      1500,
    )) {
      const parsed = predictionEventSchema.safeParse(e);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      const decoded = decodePredictionMessage(encoder.encode(JSON.stringify(e)), {
        schemaForId: () => undefined,
        maxMessageBytes: 1 << 20,
      });
      expect(decoded.ok).toBe(true);
    }
  });

  it("fraud-scorer has 10 features, about 1% of feature values are null, fraud is a minority class", () => {
    const events = [...demoEvents(base, 30_000)].filter((e) => e.modelId === "fraud-scorer");
    expect(Object.keys(events[0].features ?? {})).toHaveLength(10);
    const values = events.flatMap((e) => Object.values(e.features ?? {}));
    const missing = values.filter((v) => v === null).length / values.length;
    expect(missing).toBeGreaterThan(0.008);
    expect(missing).toBeLessThan(0.012);
    const fraudShare = events.filter((e) => e.predictedClass === "fraud").length / events.length;
    expect(fraudShare).toBeGreaterThan(0.005);
    expect(fraudShare).toBeLessThan(0.05);
    // latency is lognormal with a 12 ms median
    const latencies = events.map((e) => e.latencyMs ?? NaN).sort((x, y) => x - y);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeGreaterThan(11.4);
    expect(latencies[Math.floor(latencies.length / 2)]).toBeLessThan(12.6);
  });

  it("a +0.5σ drift of fraud-scorer amount moves mean log(amount) by 0.5·0.94 from the drift index on", () => {
    // 6 000 fraud-scorer events each side; standard error of the difference ≈ 0.94·√(2/6000) ≈ 0.017
    const drifted = [...demoEvents({ ...base, drifts: [defaultFeatureDrift(6000)] }, 36_000)];
    const logAmounts = (events: PredictionEvent[]) => numericFeature(events, "fraud-scorer", "amount").map(Math.log);
    const before = logAmounts(drifted.slice(0, 18_000));
    const after = logAmounts(drifted.slice(18_000));
    const shift = mean(after) - mean(before);
    expect(shift).toBeGreaterThan(0.5 * FRAUD_AMOUNT_LOG_SIGMA - 0.06);
    expect(shift).toBeLessThan(0.5 * FRAUD_AMOUNT_LOG_SIGMA + 0.06);
    // in σ units of the undrifted data
    expect(shift / sd(before)).toBeGreaterThan(0.44);
    expect(shift / sd(before)).toBeLessThan(0.56);
    // the median amount moves ×exp(0.47) ≈ 1.6
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    expect(Math.exp(median(after) - median(before))).toBeGreaterThan(1.5);
    expect(Math.exp(median(after) - median(before))).toBeLessThan(1.7);
  });

  it("a feature drift changes only the drifted model's drifted feature (and what the model computes from it)", () => {
    const plain = [...demoEvents(base, 900)];
    const drifted = [...demoEvents({ ...base, drifts: [defaultFeatureDrift(0)] }, 900)];
    for (let i = 0; i < plain.length; i++) {
      const p = plain[i];
      const d = drifted[i];
      if (p.modelId !== "fraud-scorer") {
        expect(d).toEqual(p);
        continue;
      }
      const { amount: pa, ...pRest } = p.features ?? {};
      const { amount: da, ...dRest } = d.features ?? {};
      expect(dRest).toEqual(pRest);
      if (typeof pa === "number" && typeof da === "number") expect(da / pa).toBeCloseTo(Math.exp(0.5 * FRAUD_AMOUNT_LOG_SIGMA), 1);
    }
  });

  it("a drift with untilIndex ends there: later events equal the undrifted stream", () => {
    const plain = [...demoEvents(base, 3000)];
    const drifted = [...demoEvents({ ...base, drifts: [{ ...defaultFeatureDrift(200), untilIndex: 600 }] }, 3000)];
    const changed = drifted.flatMap((e, i) => (JSON.stringify(e) === JSON.stringify(plain[i]) ? [] : [i]));
    // fraud-scorer is every third event: per-model events 200..599 are global events 600..1797
    expect(changed[0]).toBeGreaterThanOrEqual(600);
    expect(changed[changed.length - 1]).toBeLessThanOrEqual(1797);
    expect(changed.length).toBeGreaterThan(380); // almost all 400 drifted events differ (missing amounts do not)
    expect(() => [...demoEvents({ ...base, drifts: [{ ...defaultFeatureDrift(200), untilIndex: 200 }] }, 1)]).toThrow(DemoConfigError);
  });

  it("a normal feature shifts by k standard deviations: churn-model monthly_charges +1σ", () => {
    const events = [
      ...demoEvents(
        {
          ...base,
          drifts: [{ kind: "feature-shift", modelId: "churn-model", feature: "monthly_charges", fromIndex: 5000, shiftSigma: 1 }],
        },
        30_000,
      ),
    ];
    const before = numericFeature(events.slice(0, 15_000), "churn-model", "monthly_charges");
    const after = numericFeature(events.slice(15_000), "churn-model", "monthly_charges");
    // clamping to [18, 130] trims the tails a little, so the shift is slightly under 1σ (24)
    expect((mean(after) - mean(before)) / 24).toBeGreaterThan(0.85);
    expect((mean(after) - mean(before)) / 24).toBeLessThan(1.05);
  });

  it("a class-share drift raises the share of the predicted class by about share·(1 − old share)", () => {
    const events = [
      ...demoEvents(
        { ...base, drifts: [{ kind: "class-share", modelId: "churn-model", category: "churn", fromIndex: 5000, share: 0.2 }] },
        30_000,
      ),
    ];
    const churnShare = (xs: PredictionEvent[]) => {
      const c = xs.filter((e) => e.modelId === "churn-model");
      return c.filter((e) => e.predictedClass === "churn").length / c.length;
    };
    const before = churnShare(events.slice(0, 15_000));
    const after = churnShare(events.slice(15_000));
    const expected = before + 0.2 * (1 - before);
    expect(Math.abs(after - expected)).toBeLessThan(0.02);
    // a switched event stays consistent: churn ⇔ prediction ≥ 0.5
    for (const e of events) if (e.modelId === "churn-model") expect(e.predictedClass === "churn").toBe((e.prediction ?? 0) >= 0.5);
  });

  it("a categorical feature share drift: fraud-scorer channel web +30%", () => {
    const events = [
      ...demoEvents(
        {
          ...base,
          drifts: [{ kind: "class-share", modelId: "fraud-scorer", feature: "channel", category: "web", fromIndex: 3000, share: 0.3 }],
        },
        18_000,
      ),
    ];
    const webShare = (xs: PredictionEvent[]) => {
      const c = xs.filter((e) => e.modelId === "fraud-scorer" && e.features?.channel !== null);
      return c.filter((e) => e.features?.channel === "web").length / c.length;
    };
    const before = webShare(events.slice(0, 9000));
    const after = webShare(events.slice(9000));
    expect(Math.abs(after - (before + 0.3 * (1 - before)))).toBeLessThan(0.03);
  });

  it("rejects drifts on unknown models or features and σ shifts of categorical features", () => {
    expect(() => [
      ...demoEvents({ ...base, drifts: [{ kind: "feature-shift", modelId: "nope", feature: "amount", fromIndex: 0, shiftSigma: 1 }] }, 1),
    ]).toThrow(DemoConfigError);
    expect(() => [
      ...demoEvents(
        { ...base, drifts: [{ kind: "feature-shift", modelId: "fraud-scorer", feature: "nope", fromIndex: 0, shiftSigma: 1 }] },
        1,
      ),
    ]).toThrow(/no feature "nope"/);
    expect(() => [
      ...demoEvents(
        { ...base, drifts: [{ kind: "feature-shift", modelId: "fraud-scorer", feature: "country", fromIndex: 0, shiftSigma: 1 }] },
        1,
      ),
    ]).toThrow(/categorical/);
    expect(() => [
      ...demoEvents({ ...base, drifts: [{ kind: "class-share", modelId: "eta-regressor", category: "x", fromIndex: 0, share: 0.1 }] }, 1),
    ]).toThrow(/no class/);
  });
});
