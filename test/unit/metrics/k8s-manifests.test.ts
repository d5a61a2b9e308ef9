// The Kubernetes manifests parse, reference each other consistently, and the PrometheusRule is the
// current rendering of deploy/prometheus/alerts.yml.
import { describe, expect, it } from "vitest";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { prometheusRuleYaml } from "../../../deploy/k8s/prometheusrule.ts";
import { resolveConfig } from "../../../src/config/load.ts";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const k8s = join(root, "deploy/k8s");
const read = (file: string) => readFileSync(join(k8s, file), "utf8");
const load = (file: string) => parse(read(file));

describe("deploy/k8s manifests", () => {
  it("every YAML file parses without errors or warnings", () => {
    const files = readdirSync(k8s).filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) {
      for (const doc of parseAllDocuments(read(f))) {
        expect(doc.errors, f).toEqual([]);
        expect(doc.warnings, f).toEqual([]);
      }
    }
  });

  it("kustomization lists only existing files and every manifest", () => {
    const kustomization = load("kustomization.yaml");
    for (const r of kustomization.resources) expect(existsSync(join(k8s, r)), r).toBe(true);
    const manifests = readdirSync(k8s).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml");
    expect([...kustomization.resources].sort()).toEqual(manifests.sort());
  });

  it("prometheusrule.yaml is generated from the current deploy/prometheus/alerts.yml (run npx tsx deploy/k8s/generate-prometheusrule.ts)", () => {
    const alerts = readFileSync(join(root, "deploy/prometheus/alerts.yml"), "utf8");
    expect(read("prometheusrule.yaml")).toBe(prometheusRuleYaml(alerts));
    expect(load("prometheusrule.yaml").spec.groups).toEqual(parse(alerts).groups);
  });

  it("the deployment runs 2 replicas with probes, grace period, resources, env and a secret for credentials", () => {
    const d = load("deployment.yaml");
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(d.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "drift-detector" });
    expect(d.spec.template.metadata.labels).toMatchObject(d.spec.selector.matchLabels);
    const [c] = pod.containers;
    expect(c.ports).toEqual([{ name: "metrics", containerPort: 9464, protocol: "TCP" }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(c.resources.requests).toEqual({ cpu: "250m", memory: "256Mi" });
    expect(c.resources.limits.memory).toBe("512Mi");
    const env = new Map<string, { value?: string; valueFrom?: { secretKeyRef: { name: string; key: string } } }>(
      c.env.map((e: { name: string }) => [e.name, e]),
    );
    expect(env.get("KAFKA_BROKERS")?.value).toMatch(/:9092/);
    expect(env.get("SCHEMA_REGISTRY_URL")?.value).toMatch(/^http/);
    expect(env.get("REDIS_URL")?.valueFrom?.secretKeyRef).toEqual({ name: "drift-detector-credentials", key: "redis-url" });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(c.args).toEqual(["run", "--config", "/etc/drift-detector/config.yaml"]);
    expect(c.volumeMounts.find((m: { name: string }) => m.name === "config").mountPath).toBe("/etc/drift-detector");
    expect(pod.volumes.find((v: { name: string }) => v.name === "config").configMap.name).toBe(load("configmap.yaml").metadata.name);
  });

  it("the optional Redis (deploy/k8s/redis) persists with AOF fsynced every second on a volume, never evicts, behind the Service redis", () => {
    const kustomization = parse(readFileSync(join(k8s, "redis/kustomization.yaml"), "utf8"));
    expect(kustomization.resources).toEqual(["redis.yaml"]);
    const docs = parseAllDocuments(readFileSync(join(k8s, "redis/redis.yaml"), "utf8")).map((d) => d.toJS());
    const svc = docs.find((d) => d.kind === "Service");
    const sts = docs.find((d) => d.kind === "StatefulSet");
    expect(svc.metadata.name).toBe("redis");
    expect(sts.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    const [c] = sts.spec.template.spec.containers;
    const arg = (name: string) => c.args[c.args.indexOf(name) + 1];
    expect([arg("--appendonly"), arg("--appendfsync"), arg("--dir"), arg("--maxmemory-policy")]).toEqual([
      "yes",
      "everysec",
      "/data",
      "noeviction",
    ]);
    expect(c.volumeMounts).toEqual([{ name: "data", mountPath: "/data" }]);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe("data");
    // the detector's secret points at this Service
    expect(read("kustomization.yaml")).toContain("@redis:6379");
  });

  it("service, PDB and ServiceMonitor select the deployment's pods and its metrics port", () => {
    const podLabels = load("deployment.yaml").spec.template.metadata.labels;
    const svc = load("service.yaml");
    expect(podLabels).toMatchObject(svc.spec.selector);
    expect(svc.spec.ports).toEqual([{ name: "metrics", port: 9464, targetPort: "metrics", protocol: "TCP" }]);
    const pdb = load("poddisruptionbudget.yaml");
    expect(podLabels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(pdb.spec.minAvailable).toBe(1);
    const sm = load("servicemonitor.yaml");
    expect(svc.metadata.labels).toMatchObject(sm.spec.selector.matchLabels);
    expect(sm.spec.endpoints[0]).toMatchObject({ port: "metrics", path: "/metrics" });
    // prometheus-operator names the job after the Service; DriftDetectorDown selects job="drift-detector"
    expect(svc.metadata.name).toBe("drift-detector");
  });

  it("the ConfigMap's config resolves with the deployment's environment", () => {
    const text = load("configmap.yaml").data["config.yaml"];
    const env = {
      KAFKA_BROKERS: "kafka-0.kafka:9092,kafka-1.kafka:9092",
      REDIS_URL: "redis://:secret@redis:6379",
      SCHEMA_REGISTRY_URL: "http://schema-registry:8081",
      METRICS_PORT: "9464",
    };
    const config = resolveConfig(parse(text), env, "configmap");
    expect(config.kafka.brokers).toEqual(["kafka-0.kafka:9092", "kafka-1.kafka:9092"]);
    expect(config.redis.url).toBe("redis://:secret@redis:6379");
    expect(config.schemaRegistry.url).toBe("http://schema-registry:8081");
    expect(config.metrics.port).toBe(9464);
    expect(config.settingsFor("fraud-scorer").window.maxEvents).toBe(5000);
  });
});
