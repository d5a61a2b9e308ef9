// Materially worse evidence (issue 10 item 5): which signals joining a running drift incident may raise its
// next retrain request. Only a signal critical by its distribution test (W1, L∞) counts; a data-quality test
// (here: the out-of-range share, as weather extremes outside a one-year reference raise it) does not.
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import type { SignalEvaluation } from "../../../src/detect/evaluate.ts";
import type { IncidentRetrainRecord } from "../../../src/detect/incident.ts";
import { createRetrainState, decideRetrain, type RetrainState } from "../../../src/detect/retrain.ts";

const settings = resolveConfig({}).settingsFor("m");
const NEEDED = settings.retrain.consecutiveWindows;
const DAY = 86_400_000;

function critical(signal: string, statistic: "wasserstein" | "outOfRangeShare", effect: number): SignalEvaluation {
  const s: SignalEvaluation = {
    signal,
    kind: "numeric",
    status: "critical",
    statistics: { [statistic]: effect },
    threshold: { statistic, value: 0.2 },
    baseline: { kind: "reference", id: "ref", count: 5000 },
    effect,
  };
  if (statistic === "outOfRangeShare") s.dataQuality = true;
  return s;
}

/** Runs an incident window by window (each a day apart, so the 12 h cooldown never binds); returns the requests. */
function run(windows: SignalEvaluation[][]) {
  let state: RetrainState = createRetrainState();
  let record: IncidentRetrainRecord = { requests: 0, critical: [], effect: 0 };
  const requests: { window: number; signals: string[] }[] = [];
  windows.forEach((signals, i) => {
    const window = { id: `m@v/p0/w${i}`, end: (i + 1) * DAY, firstEventId: `a${i}`, lastEventId: `b${i}` };
    const d = decideRetrain(state, "m", "v", "critical", window, signals, settings, 0, { id: "incident-1", retrain: record });
    state = d.state;
    record = d.incidentRetrain;
    if (d.request !== null) requests.push({ window: i, signals: d.request.evidence.signals });
  });
  return { requests, record };
}

const repeat = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe("a further retrain request of a drift incident", () => {
  const pressure = critical("feature:pressure", "wasserstein", 2.9);

  it("is not raised when an input joins the critical set by its out-of-range share", () => {
    const { requests, record } = run([
      ...repeat(NEEDED + 2, () => [pressure]),
      ...repeat(NEEDED + 2, () => [pressure, critical("feature:wind", "outOfRangeShare", 0.13)]),
    ]);
    expect(requests).toEqual([{ window: NEEDED - 1, signals: ["feature:pressure"] }]);
    expect(record).toEqual({ requests: 1, critical: ["feature:pressure"], effect: 2.9 });
  });

  it("is raised when an input joins the critical set by its distribution test", () => {
    const { requests } = run([
      ...repeat(NEEDED + 2, () => [pressure]),
      ...repeat(2, () => [pressure, critical("feature:wind", "wasserstein", 0.4)]),
    ]);
    expect(requests).toEqual([
      { window: NEEDED - 1, signals: ["feature:pressure"] },
      { window: NEEDED + 2, signals: ["feature:pressure", "feature:wind"] },
    ]);
  });

  it("is raised when distribution evidence first appears or its effect doubles, not when an out-of-range share grows", () => {
    const share = (x: number) => critical("feature:pressure", "outOfRangeShare", x);
    const w1 = (x: number) => critical("feature:pressure", "wasserstein", x);
    // an incident opened by values outside the range: its first request, then the share grows, W1 turns
    // critical (new distribution evidence), grows by less than twice, then doubles
    const { requests, record } = run([
      ...repeat(NEEDED, () => [share(0.2)]),
      ...repeat(2, () => [share(0.9)]),
      ...repeat(2, () => [w1(0.5)]),
      ...repeat(2, () => [w1(0.9)]),
      ...repeat(2, () => [w1(1.0)]),
    ]);
    expect(requests.map((q) => q.window)).toEqual([NEEDED - 1, NEEDED + 2, NEEDED + 6]);
    expect(record).toEqual({ requests: 3, critical: ["feature:pressure"], effect: 1.0 });
  });
});
