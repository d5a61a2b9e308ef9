// `drift-detector status` over engine state built from a seeded classifier stream with outcomes
// (test/support/outcome-streams.ts): 500 predictions per window, labels 10 s later, performance windows
// of 500 joined outcomes, the first 3 the performance reference. Expected values are counted from the
// generator's own `correct` flags, not from the engine.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { formatStatusTable, versionStatuses } from "../../../src/cli/status.ts";
import { decodePartitionState, encodeModelCold, encodeModelHot, encodePartitionMeta } from "../../../src/state/engine-state-codec.ts";
import { encodeModelOutcomes } from "../../../src/state/outcome-state-codec.ts";
import { encodeWholeJoin } from "../../../src/state/join-entry-codec.ts";
import { classifierStream, runWithOutcomes } from "../../support/outcome-streams.ts";

const PER_WINDOW = 500;
const WINDOWS = 8;

describe("status shows the performance signal of a version with outcomes", () => {
  const config = resolveConfig({
    defaults: {
      window: { maxEvents: PER_WINDOW, minEvents: 100 },
      performance: { enabled: true, maxOutcomes: PER_WINDOW, minOutcomes: 100, referenceWindows: 3 },
    },
  });
  const inputs = classifierStream({
    seed: 11,
    count: WINDOWS * PER_WINDOW,
    labelDelayMs: 10_000,
    accuracy: (i) => (i < 6 * PER_WINDOW ? 0.9 : 0.8),
  });
  const run = runWithOutcomes(inputs, config);
  const correct = inputs.flatMap((x) => (x.kind === "prediction" ? [x.correct] : []));
  const accuracyOf = (from: number, to: number) => correct.slice(from, to).filter(Boolean).length / (to - from);
  const [row] = versionStatuses([run.state], config);

  it("the last window of joined outcomes: accuracy, error rate, recall, ECE and label delays of exactly its outcomes", () => {
    const p = row.performance;
    expect(p).not.toBeNull();
    expect(p!.windowsClosed).toBe(WINDOWS);
    expect(p!.lastWindow?.id).toBe(`clf/v1/performance/${WINDOWS - 1}`);
    const s = p!.lastWindow!.summary;
    expect(s.outcomes).toBe(PER_WINDOW);
    expect(s.accuracy).toBeCloseTo(accuracyOf((WINDOWS - 1) * PER_WINDOW, WINDOWS * PER_WINDOW), 12);
    expect(s.errorRate).toBeCloseTo(1 - s.accuracy!, 12);
    expect(Object.keys(s.recall)).toEqual(["neg", "pos"]);
    expect(s.ece).toBeGreaterThan(0);
    // every label is 10 s of event time after its prediction
    expect(s.labelDelayMs).toEqual({ p50: 10_000, p90: 10_000, p99: 10_000 });
  });

  it("the reference's performance, the estimate of the last prediction window and the join counters", () => {
    const p = row.performance!;
    if (p.reference.state !== "pinned") throw new Error("no performance reference");
    expect(p.reference.windows).toBe(3);
    expect(p.reference.summary.outcomes).toBe(3 * PER_WINDOW);
    expect(p.reference.summary.accuracy).toBeCloseTo(accuracyOf(0, 3 * PER_WINDOW), 12);
    // labels independent of confidence (concept drift): the estimate stays at the reference's accuracy, not the realised 0.8
    expect(Math.abs(p.estimatedAccuracy! - p.reference.summary.accuracy!)).toBeLessThan(0.02);
    expect(p.join).toMatchObject({ predictions: WINDOWS * PER_WINDOW, matched: WINDOWS * PER_WINDOW, expired: 0, unknown: 0, pending: 0 });
  });

  it("a drop of 0.1 in accuracy makes the performance signal critical with an open incident", () => {
    const p = row.performance!;
    expect(p.status).toBe("critical");
    expect(p.lastWindow?.level).toBe("critical");
    expect(p.incident).toMatchObject({ peakStatus: "critical" });
    // the model status is the worse of drift and performance; the inputs did not move
    expect(row.status).toBe("ok");
  });

  it("the table has a PERFORMANCE column and a performance line per version", () => {
    const text = formatStatusTable([row]);
    const [header, line, blank, detail] = text.split("\n");
    expect(header).toMatch(/\sPERFORMANCE$/);
    const s = row.performance!.lastWindow!.summary;
    const ref = row.performance!.reference;
    if (ref.state !== "pinned") throw new Error("no performance reference");
    expect(line).toMatch(new RegExp(`critical acc=${s.accuracy!.toFixed(4)} ref=${ref.summary.accuracy!.toFixed(4)}$`));
    expect(blank).toBe("");
    expect(detail).toContain("clf v1 performance critical incident ");
    expect(detail).toContain(`last ${WINDOWS - 1} `);
    expect(detail).toContain(`accuracy=${s.accuracy!.toFixed(4)} errorRate=${s.errorRate!.toFixed(4)} ece=`);
    expect(detail).toContain("label delay p50=10s p90=10s p99=10s");
    expect(detail).toContain(`join matched=${WINDOWS * PER_WINDOW} expired=0 unmatched=0 pending=0`);
  });

  it("reads the same from the persisted state (the codecs the Redis store uses) as from the live one", () => {
    const stored = new Map(
      [...run.state.models].map(([id, m]) => [
        id,
        {
          hot: encodeModelHot(m),
          cold: encodeModelCold(m),
          outcomes: m.outcomes === undefined ? null : encodeModelOutcomes(m.outcomes),
          ...(m.outcomes === undefined ? {} : { joinEntries: encodeWholeJoin(m.outcomes.join) }),
        },
      ]),
    );
    const restored = decodePartitionState(0, encodePartitionMeta(run.state), stored, config.limits);
    expect(versionStatuses([restored], config)).toEqual([row]);
  });

  it("a version without outcome state has no performance", () => {
    const plain = resolveConfig({ defaults: { window: { maxEvents: PER_WINDOW, minEvents: 100 } } });
    const predictionsOnly = inputs.filter((x) => x.kind === "prediction");
    const [r] = versionStatuses([runWithOutcomes(predictionsOnly, plain).state], plain);
    expect(r.performance).toBeNull();
    expect(formatStatusTable([r]).split("\n")).toHaveLength(2);
  });
});
