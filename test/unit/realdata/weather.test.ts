// The real-data suite (issue 10): a rain classifier over 40 years of real daily weather (scikit-multiflow's
// weather.csv, Offutt AFB, Nebraska), replayed through the service's partition processor over the in-memory
// store (runReplay, as `drift-detector replay`). The streams are committed, not generated here:
// test/fixtures/realdata/make.sh (offline, pinned Python) trains the model on 1949-1958 and writes the scored
// days of 1959-1998 in order, shuffled in time (the no-drift control) and with one input shifted.
// Dates are nominal (row i = 1949-01-01 + i days; the file has none), so most events are before 1970.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { WEATHER_MODEL_CONFIG } from "../../support/realdata-config.ts";
import { realDataFixture as fixture, replayRealData } from "../../support/realdata-replay.ts";

const DAY_MS = 86_400_000;

const manifest = JSON.parse(readFileSync(fixture("manifest.json"), "utf8")) as { shift: { fromMs: number; feature: string } };

/** windows the one-year reference is captured from (starting on days 0, 30, …, 360) */
const REFERENCE_WINDOWS = 13;

async function replayStream(stream: "ordered" | "shuffled" | "shift") {
  const r = await replayRealData(`weather-${stream}.jsonl.gz`, resolveConfig({ defaults: WEATHER_MODEL_CONFIG }));
  return { ...r, evaluated: r.summary.windowsClosed - REFERENCE_WINDOWS };
}

const VISIBILITY_CHANGE_MS = Date.UTC(1971, 0, 1);

describe("real daily weather: the time-shuffled control (no drift by construction)", () => {
  it("raises at most 1 false drift event per 100 windows and no retrain request", async () => {
    const r = await replayStream("shuffled");
    expect(r.summary.accepted).toBe(14507);
    expect(r.summary.windowsClosed).toBe(483);
    expect(r.evaluated).toBe(470);
    const raised = r.drift.filter((e) => e.status !== "ok");
    expect(raised.length).toBeLessThanOrEqual(r.evaluated / 100);
    expect(r.retrain).toEqual([]);
  });
});

describe("real daily weather in order, against a one-year reference", () => {
  it("is never critical for the seasons of 1959-1970, and critical when the reported visibility changes in 1971", async () => {
    const r = await replayStream("ordered");
    expect(r.summary.windowsClosed).toBe(483);
    // 12 years of seasons: warnings at most (summer extremes outside the first year's range), no retrain request
    const before = r.drift.filter((e) => e.window.start < VISIBILITY_CHANGE_MS);
    expect(before.length).toBeGreaterThan(0);
    expect(before[0].baseline).toEqual({ kind: "reference", id: "rain-forecast@lr-1949-1958/reference/w0-w12", count: 390 });
    for (const e of before) expect(e.status).not.toBe("critical");
    expect(r.retrain.filter((q) => q.requestedAt < VISIBILITY_CHANGE_MS)).toEqual([]);
    // the station's visibility cap moves from 11.4 to 19.9 miles in 1971: a real change the model never saw
    const firstCritical = r.drift.find((e) => e.status === "critical");
    expect(firstCritical?.window.start).toBeGreaterThanOrEqual(VISIBILITY_CHANGE_MS);
    expect(firstCritical?.window.start).toBeLessThan(VISIBILITY_CHANGE_MS + 90 * DAY_MS);
    expect(firstCritical?.signals.filter((s) => s.status === "critical").map((s) => s.signal)).toEqual(["feature:visibility"]);
    // one retrain request, in the incident it opened, naming visibility alone
    expect(r.retrain.map((q) => q.incidentId)).toEqual([firstCritical?.incident?.id]);
    expect(r.retrain[0].evidence.signals).toEqual(["feature:visibility"]);
  });
});

describe(`real daily weather with one input shifted (seaLevelPressure +25 hPa from 1965-01-01)`, () => {
  it("raises one incident for the shift and one retrain request, not one per cooldown nor one per weather extreme", async () => {
    const r = await replayStream("shift");
    const from = manifest.shift.fromMs;
    expect(from).toBe(Date.UTC(1965, 0, 1));
    expect(manifest.shift.feature).toBe("seaLevelPressure");
    expect(r.summary.windowsClosed).toBe(146);
    // one incident from the first windows of the shift to the end of the stream
    expect(new Set(r.drift.map((e) => e.incident?.id)).size).toBe(1);
    expect(r.drift[0].window.start).toBeGreaterThanOrEqual(from - 30 * DAY_MS);
    expect(r.drift[0].window.start).toBeLessThan(from + 60 * DAY_MS);
    expect(r.drift[0].signals.map((s) => s.signal)).toContain("feature:seaLevelPressure");
    for (const e of r.drift) expect(e.status).toBe("critical");
    // the first retrain request within 4 windows of the shift, before 1970 (negative event times)
    expect(r.retrain[0].requestedAt).toBeLessThan(from + 4 * 30 * DAY_MS);
    expect(r.retrain[0].evidence.signals).toEqual(["feature:seaLevelPressure"]);
    // 72 critical windows with a 12 h cooldown: a timer would request in nearly every one. Weather extremes
    // outside the one-year reference range (storms, heat waves) make other inputs critical by their
    // out-of-range share during the incident; a data-quality test joining is no materially worse evidence
    expect(r.retrain.map((q) => q.incidentId)).toEqual([r.drift[0].incident?.id]);
    const joined = r.drift.flatMap((e) => e.signals.filter((s) => s.status === "critical" && s.signal !== "feature:seaLevelPressure"));
    expect(joined.length).toBeGreaterThan(0);
    for (const s of joined) expect(s.threshold.statistic).toBe("outOfRangeShare");
  });
});
