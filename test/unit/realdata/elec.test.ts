// The real-data suite on a second stream (issue 10): Elec2, 42 624 half-hours of the New South Wales
// electricity market (scikit-multiflow's elec.csv), scored by a price-direction classifier trained on the
// first 8 weeks, replayed through the service's partition processor over the in-memory store (runReplay, as
// `drift-detector replay`) with the default config. The streams are committed, not generated here:
// test/fixtures/realdata/make.sh (offline, pinned Python) writes them. The three Victoria inputs hold one fill
// value until 1997-05-05 (35 % of the scored events): point masses that a compressed baseline must keep as
// steps, and a real upstream change when the Victorian data begins. Before issue 10 the default config raised
// 374 retrain requests in 380 windows on this stream, one per cooldown.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import type { DriftEvent } from "../../../src/events/types.ts";
import { realDataFixture as fixture, replayRealData } from "../../support/realdata-replay.ts";

const manifest = JSON.parse(readFileSync(fixture("elec-manifest.json"), "utf8")) as {
  scoredRows: number;
  fillValues: Record<string, { value: number; shareScored: number }>;
};
/** the first half-hour with real Victorian data (row 17 424 of elec.csv) */
const VICTORIA_FROM_MS = Date.UTC(1997, 4, 5);
const VICTORIA = ["feature:transfer", "feature:vicDemand", "feature:vicPrice"];

const replayElec = (stream: "ordered" | "shuffled", config: unknown = {}, withOutcomes = false) =>
  replayRealData(`elec-${stream}.jsonl.gz`, resolveConfig(config), withOutcomes ? "elec-outcomes.jsonl.gz" : undefined);

const critical = (e: DriftEvent) => e.signals.filter((s) => s.status === "critical").map((s) => s.signal);

describe("Elec2 time-shuffled (no drift by construction; a third of three inputs is one fill value)", () => {
  it("raises at most 1 false drift event per 100 windows and no retrain request, with the defaults", async () => {
    for (const f of Object.values(manifest.fillValues)) expect(f.shareScored).toBeGreaterThan(0.34);
    const r = await replayElec("shuffled");
    expect(r.summary.accepted).toBe(manifest.scoredRows);
    expect(r.summary.windowsClosed).toBe(426);
    expect(r.drift.filter((e) => e.status !== "ok").length).toBeLessThanOrEqual(4);
    expect(r.retrain).toEqual([]);
  }, 120_000);
});

describe("Elec2 in order, with the defaults", () => {
  it("names the Victorian inputs when their fill value ends, never before, and requests retraining per incident, not per cooldown", async () => {
    const r = await replayElec("ordered");
    expect(r.summary.windowsClosed).toBe(426);
    // a constant fill value in the reference and in the window is no drift: no Victorian input is critical before
    for (const e of r.drift.filter((d) => d.window.end <= VICTORIA_FROM_MS))
      expect(critical(e).filter((s) => VICTORIA.includes(s))).toEqual([]);
    // the first window with Victorian data has them critical, and the model turns critical on exactly those three
    const first = r.drift.find((e) => critical(e).some((s) => VICTORIA.includes(s)));
    expect(first?.window.start).toBeGreaterThanOrEqual(VICTORIA_FROM_MS - 2 * 86_400_000);
    expect(first?.window.start).toBeLessThan(VICTORIA_FROM_MS + 6 * 86_400_000);
    expect(critical(first!)).toEqual(expect.arrayContaining(VICTORIA));
    const turned = r.drift.find((e) => e.status === "critical" && e.window.start >= first!.window.start);
    expect(turned?.window.start).toBeLessThan(VICTORIA_FROM_MS + 6 * 86_400_000);
    expect(critical(turned!)).toEqual(VICTORIA);
    // every retrain request belongs to an incident and at most a few per incident — 374 in 380 windows before
    const incidents = new Set(r.drift.map((e) => e.incident?.id));
    expect(r.retrain.every((q) => q.incidentId !== null && incidents.has(q.incidentId))).toBe(true);
    // (measured: 9 requests; 7 of them in the incident the Victorian data opens, which never ends in this
    // replay — nobody retrains — and asks again as inputs join it or its effect doubles)
    expect(r.retrain.length).toBeLessThanOrEqual(r.summary.windowsClosed / 20);
  }, 120_000);
});

describe("Elec2 in order with its labels (replay --outcomes, performance enabled)", () => {
  it("joins every label and raises one retrain request, for the accuracy drop; the drift incidents raise none", async () => {
    const config = {
      defaults: { performance: { enabled: true, labelDelayMs: 86_400_000, maxDurationMs: 14 * 86_400_000 } },
    };
    const r = await replayElec("ordered", config, true);
    expect(r.summary.outcomes?.join).toMatchObject({ matched: manifest.scoredRows, expired: 0, unknown: 0, tooLate: 0 });
    expect(r.retrain).toHaveLength(1);
    const [request] = r.retrain;
    expect(request.reason).toBe("performance");
    expect(request.evidence.signals).toEqual(["performance"]);
    const performance = request.evidence.statistics?.performance as { accuracy: number; referenceAccuracy: number } | undefined;
    expect(performance?.referenceAccuracy).toBeGreaterThan(0.8);
    expect(performance?.accuracy).toBeLessThan(0.6);
    // the data drift is still reported (the Victorian inputs), as the explanation
    expect(r.drift.some((e) => critical(e).some((s) => VICTORIA.includes(s)))).toBe(true);
  }, 120_000);
});
