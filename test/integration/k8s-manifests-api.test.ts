// deploy/k8s against Kubernetes' own code: deploy/local/k8s-check.sh builds the kustomization with the kustomize
// library (as `kubectl apply -k` does) and decodes every object strictly into client-go's API types and
// prometheus-operator's monitoring/v1, so a misspelled field or a wrong type fails here, not at `kubectl apply`.
// The YAML-level checks (references, probes, the generated PrometheusRule) are test/unit/metrics/k8s-manifests.test.ts.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/producer-example.ts";

const CHECK = `${REPO_ROOT}deploy/local/k8s-check.sh`;
const run = (dirs: string[]) => spawnSync("bash", [CHECK, ...dirs], { encoding: "utf8", timeout: 600_000 });

describe("deploy/k8s decoded by Kubernetes' own types", () => {
  const scratch = mkdtempSync(join(tmpdir(), "k8s-check-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("every object kustomize renders from deploy/k8s and deploy/k8s/redis decodes strictly", () => {
    const res = run([]);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim().split("\n")).toEqual([
      "ok ConfigMap ml-monitoring/drift-detector-config",
      "ok Deployment ml-monitoring/drift-detector",
      "ok Service ml-monitoring/drift-detector",
      "ok PodDisruptionBudget ml-monitoring/drift-detector",
      "ok ServiceMonitor ml-monitoring/drift-detector",
      "ok PrometheusRule ml-monitoring/drift-detector",
      "ok Service ml-monitoring/redis",
      "ok StatefulSet ml-monitoring/redis",
    ]);
  }, 600_000);

  /** deploy/k8s copied with one edit to `file`, then checked */
  const checkEdited = (name: string, file: string, edit: (text: string) => string) => {
    const dir = join(scratch, name);
    // Leave out the Go program in deploy/k8s/check; match it relative to the source, since the clone itself
    // may live under a folder named check (CI's does).
    const source = join(REPO_ROOT, "deploy/k8s");
    const program = join(source, "check");
    cpSync(source, dir, { recursive: true, filter: (src) => src !== program && !src.startsWith(`${program}/`) });
    const path = join(dir, file);
    const before = readFileSync(path, "utf8");
    const after = edit(before);
    expect(after).not.toBe(before);
    writeFileSync(path, after);
    return run([dir]);
  };

  it("a misspelled field of the Deployment fails, naming it", () => {
    const res = checkEdited("typo", "deployment.yaml", (t) => t.replace("readinessProbe:", "readinesProbe:"));
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      /Deployment ml-monitoring\/drift-detector .*unknown field "spec\.template\.spec\.containers\[0\]\.readinesProbe"/,
    );
  }, 600_000);

  it("a misplaced field of the ServiceMonitor (a prometheus-operator type) fails, naming it", () => {
    const res = checkEdited("monitor", "servicemonitor.yaml", (t) => t.replace(/^(\s*)interval:/m, "$1intervl:"));
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/ServiceMonitor ml-monitoring\/drift-detector .*unknown field .*intervl/);
  }, 600_000);
});
