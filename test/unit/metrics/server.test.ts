import { afterEach, describe, expect, it } from "vitest";
import { request } from "node:http";
import { Counter, Registry } from "prom-client";
import { startMetricsServer, type MetricsServer } from "../../../src/metrics/server.ts";

function get(port: number, path: string, method = "GET"): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("metrics server", () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("serves the registry at /metrics with its content type", async () => {
    const registry = new Registry();
    new Counter({ name: "drift_events_consumed_total", help: "h", labelNames: ["topic", "partition"], registers: [registry] }).inc(
      { topic: "t", partition: "0" },
      5,
    );
    server = await startMetricsServer({ port: 0, host: "127.0.0.1", registry, isReady: () => true, isHealthy: () => true });
    expect(server.port).toBeGreaterThan(0);
    const res = await get(server.port, "/metrics");
    expect(res.status).toBe(200);
    expect(res.contentType).toBe(registry.contentType);
    expect(res.body).toContain('drift_events_consumed_total{topic="t",partition="0"} 5');
  });

  it("/healthz stays 200 while degraded and names what is degraded in its body", async () => {
    let degraded: string | undefined = "outbox of partition 0 not drained for 75 s (3 entries pending)";
    server = await startMetricsServer({
      port: 0,
      host: "127.0.0.1",
      registry: new Registry(),
      isReady: () => false,
      isHealthy: () => true,
      degradedReason: () => degraded,
    });
    expect(await get(server.port, "/healthz")).toMatchObject({
      status: 200,
      body: "ok (degraded: outbox of partition 0 not drained for 75 s (3 entries pending))\n",
    });
    degraded = undefined;
    expect(await get(server.port, "/healthz")).toMatchObject({ status: 200, body: "ok\n" });
  });

  it("/healthz and /readyz follow the callbacks: 200 when true, 503 with a reason when false", async () => {
    let ready = false;
    let healthy = true;
    server = await startMetricsServer({
      port: 0,
      host: "127.0.0.1",
      registry: new Registry(),
      isReady: () => ready,
      isHealthy: () => healthy,
      notReadyReason: () => "loading partition state",
    });
    expect(await get(server.port, "/healthz")).toMatchObject({ status: 200, body: "ok\n" });
    const notReady = await get(server.port, "/readyz");
    expect(notReady.status).toBe(503);
    expect(notReady.body).toBe("not ready: loading partition state\n");
    ready = true;
    healthy = false;
    expect((await get(server.port, "/readyz")).status).toBe(200);
    expect((await get(server.port, "/healthz")).status).toBe(503);
  });

  it("answers 404 for unknown paths and 405 for other methods", async () => {
    server = await startMetricsServer({ port: 0, host: "127.0.0.1", registry: new Registry(), isReady: () => true, isHealthy: () => true });
    expect((await get(server.port, "/nope")).status).toBe(404);
    expect((await get(server.port, "/metrics", "POST")).status).toBe(405);
  });

  it("a metrics collection error gives 500 and the server keeps serving", async () => {
    const registry = new Registry();
    new Counter({
      name: "broken_total",
      help: "h",
      registers: [registry],
      collect() {
        throw new Error("collector failed");
      },
    });
    server = await startMetricsServer({ port: 0, host: "127.0.0.1", registry, isReady: () => true, isHealthy: () => true });
    const res = await get(server.port, "/metrics");
    expect(res.status).toBe(500);
    expect(res.body).toContain("collector failed");
    expect((await get(server.port, "/healthz")).status).toBe(200);
  });

  it("rejects when the port is taken", async () => {
    server = await startMetricsServer({ port: 0, host: "127.0.0.1", registry: new Registry(), isReady: () => true, isHealthy: () => true });
    await expect(
      startMetricsServer({ port: server.port, host: "127.0.0.1", registry: new Registry(), isReady: () => true, isHealthy: () => true }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
