import { describe, expect, it } from "vitest";
import { formatDriftLine, formatRetrainLine } from "../../../src/cli/demo.ts";
import type { DriftEvent, RetrainRequest } from "../../../src/events/types.ts";

const drift: DriftEvent = {
  type: "drift",
  eventId: "e1",
  modelId: "fraud-scorer",
  modelVersion: "2026-01-15",
  status: "critical",
  previousStatus: "ok",
  window: { id: "fraud-scorer@2026-01-15/p0/w9", start: 0, end: 1, count: 500, partition: 2, firstOffset: "0", lastOffset: "499" },
  baseline: { kind: "reference", id: "ref", count: 1500 },
  signals: [
    {
      signal: "latency",
      kind: "numeric",
      status: "ok",
      statistics: { wasserstein: 0.01, psi: 0.01, ks: 0.02 },
      threshold: { statistic: "wasserstein", value: 0.1 },
    },
    {
      signal: "prediction",
      kind: "numeric",
      status: "warning",
      statistics: { wasserstein: 0.15, psi: 0.05, ks: 0.08 },
      threshold: { statistic: "wasserstein", value: 0.1 },
    },
    {
      signal: "feature:amount",
      kind: "numeric",
      status: "critical",
      statistics: { wasserstein: 0.5146, psi: 0.248, ks: 0.2123 },
      threshold: { statistic: "wasserstein", value: 0.2 },
    },
    {
      signal: "feature:country",
      kind: "categorical",
      status: "critical",
      statistics: { lInf: 0.12, psi: 0.3, jsDistance: 0.2 },
      threshold: { statistic: "lInf", value: 0.08 },
    },
    {
      signal: "feature:age",
      kind: "numeric",
      status: "warning",
      statistics: { wasserstein: 0.01, psi: 0.0, ks: 0.01, missingShare: 0.2 },
      threshold: { statistic: "missingShare", value: 0.05 },
    },
  ],
  emittedAt: Date.UTC(2026, 0, 1, 12, 34, 56),
};

describe("demo watch lines", () => {
  it("a drift line shows time, model, the status change, the worst signals first and the window", () => {
    const line = formatDriftLine(drift);
    expect(line.startsWith("12:34:56  DRIFT    fraud-scorer@2026-01-15  ok → critical  ")).toBe(true);
    expect(line).toContain(
      "feature:amount [critical] W1/σ=0.515 psi=0.248 ks=0.212 | feature:country [critical] L∞=0.120 psi=0.300 js=0.200 | prediction [warning] W1/σ=0.150 psi=0.050 ks=0.080 (+1 more)",
    );
    expect(line).toContain("(+1 more)");
    expect(line).not.toContain("latency");
    expect(line).toContain("window=fraud-scorer@2026-01-15/p0/w9 (500 events, p2) vs reference");
  });

  it("the deciding statistic is shown when it is not one of the usual three", () => {
    const line = formatDriftLine({ ...drift, signals: [drift.signals[4]] });
    expect(line).toContain("feature:age [warning] W1/σ=0.010 psi=0.000 ks=0.010 missingShare=0.200");
  });

  it("a recovery says so", () => {
    expect(formatDriftLine({ ...drift, status: "ok", previousStatus: "critical", signals: [drift.signals[0]] })).toContain(
      "critical → ok  all signals back within bounds",
    );
  });

  it("a retrain line shows reason, severity, signals and the deterministic id", () => {
    const r: RetrainRequest = {
      type: "retrain",
      requestId: "r42",
      modelId: "fraud-scorer",
      modelVersion: "2026-01-15",
      reason: "drift",
      severity: "critical",
      evidence: { signals: ["feature:amount", "prediction"], windows: ["w9", "w10", "w11"], statistics: {} },
      cooldownUntil: Date.UTC(2026, 0, 2),
      requestedAt: Date.UTC(2026, 0, 1, 0, 0, 5),
    };
    expect(formatRetrainLine(r)).toBe(
      "00:00:05  RETRAIN  fraud-scorer@2026-01-15  reason=drift severity=critical  signals=feature:amount,prediction  windows=3  cooldown until 2026-01-02T00:00:00.000Z  id=r42",
    );
  });
});
