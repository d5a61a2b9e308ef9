// The real Prometheus, with deploy/prometheus/prometheus.yml and its alerts.yml, scraping the running service
// every second:
// after a drifting stream (with segments) the critical-drift alert fires (with the drifting signal in its description), and
// every PromQL expression of the Grafana dashboard — dashboard variables substituted — returns data from
// the live service, the performance panels included: the model has performance.enabled and the outcomes of
// its first 1 000 predictions are joined (a performance reference, evaluated performance windows, the
// label-free estimate of the windows after them). Proves the names, labels and aggregations of the dashboard and rules match what the
// service really exports, not only what the code mentions.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Kafka } from "kafkajs";
import {
  createServiceTopics,
  driftingServiceConfig,
  driftingStream,
  DRIFTING_MODEL as MODEL,
  DRIFTING_VERSION as VERSION,
  harnessKafka,
  predictionMessages,
  produceRaw,
  startServiceInProcess,
  waitFor,
  waitForCommittedEnd,
  type InProcessService,
} from "../support/service-harness.ts";
import { startPrometheus, type PrometheusServer } from "../support/prometheus.ts";
import { startAlertmanager, type AlertmanagerServer } from "../support/alertmanager.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const PROMETHEUS_CONFIG = `${ROOT}deploy/prometheus/prometheus.yml`; // its rule file: alerts.yml
const DASHBOARD = `${ROOT}deploy/grafana/drift-detector-dashboard.json`;
const ALERTS = `${ROOT}deploy/prometheus/alerts.yml`;
const ALERTMANAGER_CONFIG = `${ROOT}deploy/alertmanager/alertmanager.yml`;
const BAD_MESSAGES = 3;

interface Panel {
  title: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** predictions whose outcomes are produced: 5 performance windows of 200 (2 form the reference) */
const LABELLED = 1000;

function dashboardExpressions(): { panel: string; expr: string }[] {
  const doc = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: Panel[] };
  const out: { panel: string; expr: string }[] = [];
  const visit = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title, expr: t.expr });
      visit(p.panels ?? []);
    }
  };
  visit(doc.panels);
  return out;
}

/** What Grafana does before sending a query: the dashboard's variables and $__rate_interval replaced. */
function substituteVariables(expr: string): string {
  return expr.replaceAll("$__rate_interval", "1m").replaceAll("$model", MODEL).replaceAll("$version", VERSION);
}

describe("real Prometheus against the running service", () => {
  // segments (README "Segments") for the segment panel: every fifth event from region "us"
  const config = driftingServiceConfig(
    "prom-e2e",
    {},
    {
      segments: { keys: ["region"] },
      performance: { enabled: true, maxOutcomes: 200, minOutcomes: 50, referenceWindows: 2 },
      // with outcomes flowing, drift alone retrains only on the signals named here (the retrain panel's data)
      retrain: { consecutiveWindows: 2, signals: ["feature:amount"] },
    },
  );
  const topics = config.kafka.topics;
  let kafka: Kafka;
  let service: InProcessService;
  let prometheus: PrometheusServer;
  let alertmanager: AlertmanagerServer;

  beforeAll(async () => {
    kafka = harnessKafka();
    await createServiceTopics(kafka, config, 1);
    // the drifting stream plus what the dashboard's other panels show: a predicted class, a feature that
    // is missing in 10 % of the events, and a few messages that are not events (dead-lettered)
    const events = driftingStream().map((e, i) => ({
      ...e,
      predictedClass: (e.prediction ?? 0) > 0.8 ? "fraud" : "legit",
      features: { ...e.features, tenure: i % 10 === 0 ? null : (e.features?.tenure ?? null) },
      attributes: { region: i % 5 === 0 ? "us" : "eu" },
    }));
    const bad = Array.from({ length: BAD_MESSAGES }, (_, i) => ({ key: MODEL, value: `{not json ${i}` }));
    // labels 1 s after their predictions, 9 in 10 right; actual 0/1 for MAE/RMSE of the score
    const outcomes = events.slice(0, LABELLED).map((e, i) => {
      const right = i % 10 !== 3;
      const actualClass = right === (e.predictedClass === "fraud") ? "fraud" : "legit";
      const o = { eventId: e.eventId, modelId: MODEL, timestamp: e.timestamp + 1000, actualClass, actual: actualClass === "fraud" ? 1 : 0 };
      return { key: MODEL, value: JSON.stringify(o) };
    });
    service = await startServiceInProcess(config);
    alertmanager = await startAlertmanager({ configFile: ALERTMANAGER_CONFIG });
    prometheus = await startPrometheus({
      configFile: PROMETHEUS_CONFIG,
      targets: [`127.0.0.1:${service.server.port}`],
      alertmanager: new URL(alertmanager.url).host,
    });
    await service.pipeline.ready;
    // in this order, each read before the next is produced: the predictions, their outcomes (the performance
    // reference and calibration), then the rest of the predictions (windows with a label-free estimate)
    await produceRaw(kafka, topics.predictions, predictionMessages(events.slice(0, LABELLED)));
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, LABELLED);
    await produceRaw(kafka, topics.outcomes, outcomes);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.outcomes, outcomes.length);
    await produceRaw(kafka, topics.predictions, [...predictionMessages(events.slice(LABELLED)), ...bad]);
    await waitForCommittedEnd(kafka, config.kafka.groupId, topics.predictions, events.length + BAD_MESSAGES);
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await service?.stop();
  });

  it("scrapes the service: up is 1 for the job the DriftDetectorDown alert selects", async () => {
    const up = await waitFor(
      "a scrape of the service",
      async () => {
        const r = await prometheus.query('up{job="drift-detector"}');
        return r.length > 0 ? r : undefined;
      },
      30_000,
    );
    expect(up.map((s) => s.value[1])).toEqual(["1"]);
  });

  it("the critical drift alert goes to firing for the drifting model, naming the drifting signal", async () => {
    const alert = await waitFor(
      "DriftDetectorModelDriftCritical to fire",
      async () => {
        const alerts = await prometheus.alerts();
        return alerts.find((a) => a.labels.alertname === "DriftDetectorModelDriftCritical" && a.state === "firing");
      },
      60_000,
      500,
    );
    expect(alert.labels).toMatchObject({ model: MODEL, version: VERSION, severity: "critical" });
    expect(alert.annotations.description).toMatch(/Signals at critical in the last window: .*feature:amount/);
    expect(alert.annotations.dashboard).toBe(`/d/drift-detector/drift-detector?var-model=${MODEL}&var-version=${VERSION}`);
    // no alert about the service itself: it is up, consuming, and rejects 3 of 2 203 messages (< 1 %)
    const others = (await prometheus.alerts()).filter(
      (a) => a.labels.alertname.startsWith("DriftDetector") && !a.labels.alertname.startsWith("DriftDetectorModelDrift"),
    );
    expect(others.filter((a) => a.state === "firing")).toEqual([]);
  });

  it("the critical drift alert reaches the on-call webhook through Alertmanager (deploy/alertmanager/alertmanager.yml), grouped by model and version", async () => {
    const notification = await waitFor(
      "a DriftDetectorModelDriftCritical notification at the webhook",
      () => alertmanager.notifications.find((n) => n.status === "firing" && n.groupLabels.alertname === "DriftDetectorModelDriftCritical"),
      60_000,
      500,
    );
    expect(notification.receiver).toBe("on-call");
    expect(notification.groupLabels).toEqual({ alertname: "DriftDetectorModelDriftCritical", model: MODEL, version: VERSION });
    expect(notification.alerts.map((a) => a.labels.severity)).toEqual(["critical"]);
    expect(notification.alerts[0].annotations.description).toMatch(/feature:amount/);
  });

  it("a critical alert of a model version suppresses its warnings (the inhibit rule), not another version's", async () => {
    // posted to Alertmanager's API as Prometheus posts them: a critical drift alert of v1, warnings of v1 and v2
    const alert = (alertname: string, severity: string, version: string) => ({
      labels: { alertname, severity, model: "inhibit-check", version },
      annotations: { summary: `${alertname} ${version}` },
      startsAt: new Date().toISOString(),
    });
    const posted = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        alert("DriftDetectorModelDriftCritical", "critical", "v1"),
        alert("DriftDetectorConfidenceDrop", "warning", "v1"),
        alert("DriftDetectorConfidenceDrop", "warning", "v2"),
      ]),
    });
    expect(posted.status).toBe(200);
    const states = await waitFor(
      "the three alerts in Alertmanager",
      async () => {
        const res = await fetch(`${alertmanager.url}/api/v2/alerts?filter=${encodeURIComponent('model="inhibit-check"')}`);
        const got = (await res.json()) as { labels: Record<string, string>; status: { state: string } }[];
        return got.length === 3 ? got : undefined;
      },
      30_000,
      200,
    );
    const stateOf = (alertname: string, version: string) =>
      states.find((x) => x.labels.alertname === alertname && x.labels.version === version)?.status.state;
    expect(stateOf("DriftDetectorModelDriftCritical", "v1")).toBe("active");
    expect(stateOf("DriftDetectorConfidenceDrop", "v1")).toBe("suppressed");
    expect(stateOf("DriftDetectorConfidenceDrop", "v2")).toBe("active");
  });

  it("the dashboard's variables resolve: label_values(drift_model_status, model) and version", async () => {
    const get = async (label: string, match: string) => {
      const res = await fetch(`${prometheus.url}/api/v1/label/${label}/values?match[]=${encodeURIComponent(match)}`);
      return ((await res.json()) as { data: string[] }).data;
    };
    await waitFor(
      "drift_model_status in Prometheus",
      async () => ((await get("model", "drift_model_status")).length > 0 ? true : undefined),
      30_000,
    );
    expect(await get("model", "drift_model_status")).toEqual([MODEL]);
    expect(await get("version", `drift_model_status{model=~"${MODEL}"}`)).toEqual([VERSION]);
  });

  it("every metric an alert rule reads has series in Prometheus, the performance and join alerts' included", async () => {
    const rules = readFileSync(ALERTS, "utf8");
    const names = [...new Set(rules.match(/\bdrift_[a-z_]+/g) ?? [])].sort();
    expect(names).toEqual(expect.arrayContaining(["drift_estimated_performance", "drift_outcome_joins_total", "drift_performance_status"]));
    const missing = await waitFor(
      "a series of every metric the alert rules read",
      async () => {
        const absent: string[] = [];
        for (const name of names)
          if ((await prometheus.query(`count({__name__=~"${name}(_bucket|_sum|_count)?"})`)).length === 0) absent.push(name);
        return absent.length === 0 ? absent : undefined;
      },
      30_000,
      1_000,
    ).catch(async (err: Error) => {
      const absent: string[] = [];
      for (const name of names)
        if ((await prometheus.query(`count({__name__=~"${name}(_bucket|_sum|_count)?"})`)).length === 0) absent.push(name);
      throw new Error(`${err.message}; no series of: ${absent.join(", ")}`);
    });
    expect(missing).toEqual([]);
  });

  it("every PromQL expression of the Grafana dashboard returns data from the live service", async () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThan(20);
    // rate()/increase() need two samples inside their range: wait for the scrapes to accumulate
    const empty = await waitFor(
      "every dashboard expression to return data",
      async () => {
        const results = await Promise.all(
          expressions.map(async (e) => ({ ...e, samples: await prometheus.query(substituteVariables(e.expr)) })),
        );
        const missing = results.filter((r) => r.samples.length === 0).map((r) => `${r.panel}: ${r.expr}`);
        return missing.length === 0 ? missing : undefined;
      },
      45_000,
      1_000,
    ).catch(async (err: Error) => {
      const results = await Promise.all(
        expressions.map(async (e) => ({ ...e, samples: await prometheus.query(substituteVariables(e.expr)) })),
      );
      throw new Error(
        `${err.message}; no data for:\n${results
          .filter((r) => r.samples.length === 0)
          .map((r) => `  ${r.panel}: ${r.expr}`)
          .join("\n")}`,
      );
    });
    expect(empty).toEqual([]);
    // and the numbers are the service's: the drifting signal is critical, the bad messages are counted
    const status = await prometheus.query(
      substituteVariables(`max by (model, version, signal) (drift_signal_status{model=~"$model",version=~"$version"})`),
    );
    expect(status.find((s) => s.metric.signal === "feature:amount")?.value[1]).toBe("2");
    const rejected = await prometheus.query(`sum(drift_events_rejected_total{topic="${topics.predictions}",reason="invalid_json"})`);
    expect(rejected[0]?.value[1]).toBe(String(BAD_MESSAGES));
    const missing = await prometheus.query(`drift_feature_missing_ratio{model="${MODEL}",feature="tenure"}`);
    expect(Number(missing[0]?.value[1])).toBeGreaterThan(0.05);
    // the performance panels show the service's join: 1 000 matched, accuracy 0.9 against a 0.9 reference
    const matched = await prometheus.query(`sum(drift_outcome_joins_total{model="${MODEL}",result="matched"})`);
    expect(matched[0]?.value[1]).toBe(String(LABELLED));
    const accuracy = await prometheus.query(`max(drift_performance{model="${MODEL}",metric="accuracy"})`);
    expect(Number(accuracy[0]?.value[1])).toBeCloseTo(0.9, 1);
    const estimate = await prometheus.query(`max(drift_estimated_performance{model="${MODEL}",metric="accuracy"})`);
    expect(Number(estimate[0]?.value[1])).toBeGreaterThan(0.5);
  });
});
