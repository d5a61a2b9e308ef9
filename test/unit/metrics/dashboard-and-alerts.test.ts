// The dashboard and the alert rules must only use metrics the code exports: every `drift_*` name in a PromQL
// expression (and in alert annotation templates) is checked against the names in the real registry.
import { describe, expect, it } from "vitest";
import { readFileSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { createDetectorMetrics } from "../../../src/metrics/detector-metrics.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));

async function exportedNames(): Promise<Set<string>> {
  const metrics = createDetectorMetrics();
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(m.name + suffix);
    if (String(m.type) === "summary") for (const suffix of ["_sum", "_count"]) names.add(m.name + suffix);
  }
  return names;
}

/** `drift_*` metric names in a PromQL expression or template, ignoring quoted label values. */
function driftNames(text: string): string[] {
  const withoutStrings = text.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/'(?:[^'\\]|\\.)*'/g, "''");
  const fromExpr = withoutStrings.match(/\bdrift_[a-z0-9_]+\b/g) ?? [];
  // annotation templates carry queries inside printf strings
  const fromStrings = [...text.matchAll(/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'/g)].flatMap(
    (m) => (m[1] ?? m[2]).match(/\bdrift_[a-z0-9_]+\b/g) ?? [],
  );
  return [...fromExpr, ...fromStrings];
}

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
function alertRules(): Rule[] {
  const doc = parseYaml(readFileSync(join(root, "deploy/prometheus/alerts.yml"), "utf8")) as { groups: Array<{ rules: Rule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}
function dashboard(): {
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: string | { query: string } }> };
} {
  return JSON.parse(readFileSync(join(root, "deploy/grafana/drift-detector-dashboard.json"), "utf8"));
}
function dashboardExprs(): Array<{ panel: string; expr: string }> {
  const out: Array<{ panel: string; expr: string }> = [];
  const visit = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) out.push({ panel: p.title, expr: t.expr });
      visit(p.panels ?? []);
    }
  };
  visit(dashboard().panels);
  return out;
}

describe("alert rules use exported metrics", () => {
  it("every drift_* name in alert expressions and annotations is exported by the registry", async () => {
    const names = await exportedNames();
    const rules = alertRules();
    expect(rules.length).toBe(28);
    for (const rule of rules) {
      const used = [rule.expr, ...Object.values(rule.annotations ?? {})].flatMap(driftNames);
      const unknown = used.filter((n) => !names.has(n));
      expect(unknown, `${rule.alert} uses unknown metrics`).toEqual([]);
      expect(used.length > 0 || /\bup\{/.test(rule.expr), `${rule.alert} references no detector metric`).toBe(true);
    }
  });

  it("every alert has a severity, summary, description, runbook hint and dashboard link", () => {
    for (const rule of alertRules()) {
      expect(["critical", "warning", "info"], rule.alert).toContain(rule.labels?.severity);
      for (const key of ["summary", "description", "runbook", "dashboard"])
        expect(rule.annotations?.[key], `${rule.alert}.${key}`).toBeTruthy();
      expect(rule.annotations?.dashboard.startsWith(`/d/${dashboard().uid}/`), rule.alert).toBe(true);
    }
  });
});

describe("grafana dashboard", () => {
  it("queries only metrics the registry exports", async () => {
    const names = await exportedNames();
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThan(20);
    for (const { panel, expr } of exprs) {
      const used = driftNames(expr);
      expect(used.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      expect(
        used.filter((n) => !names.has(n)),
        `${panel}: ${expr}`,
      ).toEqual([]);
    }
    for (const v of dashboard().templating.list) {
      const q = typeof v.query === "string" ? v.query : v.query?.query;
      if (v.name === "model" || v.name === "version") expect(driftNames(q ?? "").filter((n) => !names.has(n))).toEqual([]);
    }
  });

  it("shows every detector metric except the few documented as not charted", async () => {
    const notCharted = new Set([
      "drift_window_end_timestamp_seconds",
      "drift_baseline_events",
      "drift_batch_events",
      "drift_batch_events_bucket",
      "drift_batch_events_sum",
      "drift_batch_events_count",
      "drift_batch_duration_seconds",
      "drift_batch_duration_seconds_sum",
      "drift_batch_duration_seconds_count",
    ]);
    const used = new Set(dashboardExprs().flatMap(({ expr }) => driftNames(expr)));
    const missing = [...(await exportedNames())].filter((n) => n.startsWith("drift_") && !used.has(n) && !notCharted.has(n));
    expect(missing).toEqual([]);
  });

  it("has the model and version variables from drift_model_status, unique panel ids and schemaVersion 39", () => {
    const d = dashboard();
    expect(d.schemaVersion).toBe(39);
    const vars = new Map(d.templating.list.map((v) => [v.name, typeof v.query === "string" ? v.query : v.query?.query]));
    expect(vars.get("model")).toBe("label_values(drift_model_status, model)");
    expect(vars.get("version")).toBe('label_values(drift_model_status{model=~"$model"}, version)');
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(d.panels.some((p) => p.type === "alertlist")).toBe(true);
  });

  it("every dashboard expression is valid PromQL (checked by promtool as recording rules)", () => {
    const dir = mkdtempSync(join(tmpdir(), "dashboard-promql-"));
    try {
      const rules = dashboardExprs().map(({ expr }, i) => ({
        record: `dashboard:expr_${i}`,
        expr: expr.replaceAll("$__rate_interval", "5m").replaceAll("$model", ".*").replaceAll("$version", ".*"),
      }));
      const file = join(dir, "dashboard-rules.yml");
      writeFileSync(file, stringifyYaml({ groups: [{ name: "dashboard", rules }] }));
      const res = spawnSync("promtool", ["check", "rules", file], { encoding: "utf8" });
      if (res.error !== undefined)
        throw new Error(`promtool could not be run (${res.error.message}); install it with: apt-get install -y prometheus`);
      expect(res.status, `${res.stdout}${res.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
