// The real Prometheus server (Debian's `prometheus` package, installed by deploy/local/test.sh) for tests:
// started on a free port with a temporary TSDB and the project's Prometheus config file (the one
// docker-compose.yml mounts) with its rule files, scrape targets replaced by the test's, scrape and rule
// evaluation every second, and the test's Alertmanager when one is given. Fails loudly when the binary is
// missing or does not start (server-process.ts).
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { startServerProcess } from "./server-process.ts";

export interface PrometheusServer {
  url: string;
  /** instant query; the result vector or matrix as Prometheus returns it */
  query(expr: string): Promise<PromSample[]>;
  alerts(): Promise<PromAlert[]>;
  output: string[];
  stop(): Promise<void>;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing" | "inactive";
  value: string;
}

interface ApiResponse<T> {
  status: "success" | "error";
  data: T;
  error?: string;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as ApiResponse<T>;
  if (body.status !== "success") throw new Error(`prometheus ${url}: ${body.error ?? res.status}`);
  return body.data;
}

interface PrometheusConfigFile {
  global?: Record<string, unknown>;
  rule_files?: string[];
  alerting?: unknown;
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
}

/**
 * The config file with every job's targets replaced, rule files made absolute, 1 s intervals, and the test's
 * Alertmanager (host:port) in place of the file's, or none.
 */
export function testPrometheusConfig(configFile: string, targets: string[], alertmanager?: string): PrometheusConfigFile {
  const config = parseYaml(readFileSync(configFile, "utf8")) as PrometheusConfigFile;
  return {
    global: { ...config.global, scrape_interval: "1s", evaluation_interval: "1s", scrape_timeout: "900ms" },
    rule_files: (config.rule_files ?? []).map((f) => resolve(dirname(configFile), f)),
    ...(alertmanager === undefined ? {} : { alerting: { alertmanagers: [{ static_configs: [{ targets: [alertmanager] }] }] } }),
    scrape_configs: config.scrape_configs.map((job) => ({ ...job, static_configs: [{ targets }] })),
  };
}

export async function startPrometheus(opts: { configFile: string; targets: string[]; alertmanager?: string }): Promise<PrometheusServer> {
  const { url, output, stop } = await startServerProcess({
    command: "prometheus",
    install: "prometheus",
    prepare: (dir) =>
      writeFileSync(join(dir, "prometheus.yml"), stringifyYaml(testPrometheusConfig(opts.configFile, opts.targets, opts.alertmanager))),
    argsFor: (dir, port) => [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
  });
  return {
    url,
    output,
    stop,
    query: async (expr) => (await api<{ result: PromSample[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    alerts: async () => (await api<{ alerts: PromAlert[] }>(`${url}/api/v1/alerts`)).alerts,
  };
}
