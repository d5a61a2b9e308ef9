// docker-compose.yml cannot be run here (no Docker engine): this checks what can be checked without one —
// the services and their wiring, and that every file it mounts exists and is the file the other tests use
// (the rules promtool and the real-Prometheus test load, the dashboard the dashboard tests read).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";

const root = fileURLToPath(new URL("../../../", import.meta.url));

interface Service {
  image?: string;
  build?: string;
  command?: string[] | string;
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}
const compose = parseYaml(readFileSync(join(root, "docker-compose.yml"), "utf8")) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;

function yamlFile<T>(path: string): T {
  return parseYaml(readFileSync(join(root, path), "utf8")) as T;
}

/** bind mounts of a service: repo path (without ./) → container path */
function bindMounts(service: Service): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of service.volumes ?? []) {
    const [source, target] = v.split(":");
    if (source.startsWith("./")) out.set(source.slice(2), target);
  }
  return out;
}

/** the repo file mounted at a container path, if any */
function mountedAt(service: Service, containerPath: string): string | undefined {
  for (const [source, target] of bindMounts(service)) if (target === containerPath) return source;
  return undefined;
}

function testSources(dir: string): string {
  return readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => readFileSync(join(root, dir, f), "utf8"))
    .join("\n");
}

describe("docker-compose.yml", () => {
  it("brings up Kafka (KRaft), the Confluent Schema Registry, Redis, the detector, Prometheus, Alertmanager and Grafana", () => {
    expect(Object.keys(services).sort()).toEqual([
      "alertmanager",
      "detector",
      "grafana",
      "kafka",
      "kafka-init",
      "prometheus",
      "redis",
      "schema-registry",
    ]);
    expect(services.kafka.image).toMatch(/^apache\/kafka:/);
    expect(services.kafka.environment).toMatchObject({
      KAFKA_PROCESS_ROLES: "broker,controller",
      KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
    });
    expect(Object.keys(services.kafka.environment ?? {}).some((k) => k.includes("ZOOKEEPER"))).toBe(false);
    expect(services["schema-registry"].image).toMatch(/^confluentinc\/cp-schema-registry:/);
    expect(services.prometheus.image).toMatch(/^prom\/prometheus:/);
    expect(services.alertmanager.image).toMatch(/^prom\/alertmanager:/);
    expect(services.grafana.image).toMatch(/^grafana\/grafana:/);
    expect(services.detector.build).toBe(".");
    expect(existsSync(join(root, "Dockerfile"))).toBe(true);
  });

  it("Redis persists with AOF into a named volume", () => {
    const command = services.redis.command as string[];
    expect(command.slice(command.indexOf("--appendonly"), command.indexOf("--appendonly") + 2)).toEqual(["--appendonly", "yes"]);
    expect(services.redis.volumes).toContain("redis-data:/data");
    expect(compose.volumes).toHaveProperty("redis-data");
  });

  it("every service it depends on exists, every named volume is declared, no host port is published twice", () => {
    for (const [name, s] of Object.entries(services)) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(services, `${name} depends on ${d}`).toHaveProperty(d);
      for (const v of s.volumes ?? []) {
        const source = v.split(":")[0];
        if (!source.startsWith("./") && !source.startsWith("/"))
          expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty(source);
      }
    }
    const hostPorts = Object.values(services).flatMap((s) => (s.ports ?? []).map((p) => p.split(":")[0]));
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });

  it("every file it mounts exists in the repository", () => {
    const mounts = Object.entries(services).flatMap(([name, s]) => [...bindMounts(s).keys()].map((source) => ({ name, source })));
    expect(mounts.length).toBeGreaterThanOrEqual(6);
    for (const { name, source } of mounts) expect(existsSync(join(root, source)), `${name} mounts ${source}`).toBe(true);
  });

  it("Prometheus gets the config and the alert rules the rule tests and the real-Prometheus test use", () => {
    const prometheus = services.prometheus;
    const configFile = mountedAt(prometheus, "/etc/prometheus/prometheus.yml");
    expect(configFile).toBe("deploy/prometheus/prometheus.yml");
    expect(prometheus.command).toContain("--config.file=/etc/prometheus/prometheus.yml");
    const config = yamlFile<{
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    }>(configFile as string);
    // rule files are relative to the config file: each one is mounted beside it
    for (const rules of config.rule_files) expect(mountedAt(prometheus, `/etc/prometheus/${rules}`)).toBe(`deploy/prometheus/${rules}`);
    expect(config.rule_files).toEqual(["alerts.yml"]);
    const tests = testSources("test");
    expect(tests).toContain('"deploy/prometheus/alerts.yml"'); // promtool check/test rules
    expect(tests).toContain("deploy/prometheus/prometheus.yml"); // the real-Prometheus test starts from it
    // scrapes the detector on its metrics port, as job "drift-detector" (the DriftDetectorDown alert's selector)
    const job = config.scrape_configs.find((j) => j.job_name === "drift-detector");
    expect(job?.static_configs[0].targets).toEqual([`detector:${services.detector.environment?.METRICS_PORT}`]);
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual(["alertmanager:9093"]);
    expect(services.alertmanager.ports).toContain("9093:9093");
    expect(mountedAt(services.alertmanager, "/etc/alertmanager/alertmanager.yml")).toBe("deploy/alertmanager/alertmanager.yml");
    const am = yamlFile<{ route: { receiver: string }; receivers: { name: string }[] }>("deploy/alertmanager/alertmanager.yml");
    expect(am.receivers.map((r) => r.name)).toContain(am.route.receiver);
  });

  it("Grafana is provisioned with the Prometheus datasource and the dashboard file the dashboard tests read", () => {
    const grafana = services.grafana;
    const dashboards = mountedAt(grafana, "/etc/grafana/provisioning/dashboards");
    const datasources = mountedAt(grafana, "/etc/grafana/provisioning/datasources");
    expect(dashboards).toBe("deploy/grafana/provisioning/dashboards");
    expect(datasources).toBe("deploy/grafana/provisioning/datasources");
    const provider = yamlFile<{ providers: { type: string; options: { path: string } }[] }>(`${dashboards}/drift-detector.yml`);
    const dashboardDir = provider.providers[0].options.path;
    const dashboardFile = mountedAt(grafana, `${dashboardDir}/drift-detector-dashboard.json`);
    expect(dashboardFile).toBe("deploy/grafana/drift-detector-dashboard.json");
    expect(statSync(join(root, dashboardFile as string)).isFile()).toBe(true);
    expect(testSources("test")).toContain("deploy/grafana/drift-detector-dashboard.json");
    const ds = yamlFile<{ datasources: { type: string; url: string }[] }>(`${datasources}/prometheus.yml`);
    expect(ds.datasources[0]).toMatchObject({ type: "prometheus", url: "http://prometheus:9090" });
    expect(services.prometheus.ports).toContain("9090:9090");
  });

  it("the detector reaches Kafka, Redis and the registry by their compose names and waits for them", () => {
    const env = services.detector.environment ?? {};
    expect(env).toMatchObject({
      KAFKA_BROKERS: "kafka:9092",
      REDIS_URL: "redis://redis:6379",
      SCHEMA_REGISTRY_URL: "http://schema-registry:8081",
    });
    expect(String(services.kafka.environment?.KAFKA_ADVERTISED_LISTENERS)).toContain("INTERNAL://kafka:9092");
    expect(services.detector.depends_on).toMatchObject({
      "kafka-init": { condition: "service_completed_successfully" },
      redis: { condition: "service_healthy" },
      "schema-registry": { condition: "service_healthy" },
    });
  });
});
