// The metrics/health HTTP endpoint (node:http, no framework): GET /metrics (Prometheus text format),
// GET /healthz (liveness: the process can make progress; its body names what is degraded), GET /readyz (readiness: partitions loaded and
// dependencies reachable — Kubernetes stops routing/scraping-for-SLO while not ready).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

export interface MetricsServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  isReady(): boolean;
  isHealthy(): boolean;
  /** why the service is not ready, for the /readyz body (optional) */
  notReadyReason?(): string;
  /** what is degraded while still live (e.g. a stuck outbox), for the /healthz body (optional) */
  degradedReason?(): string | undefined;
}

function send(res: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse, opts: MetricsServerOptions): Promise<void> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    send(res, 405, "method not allowed\n");
    return;
  }
  switch (path) {
    case "/metrics": {
      const body = await opts.registry.metrics();
      send(res, 200, body, opts.registry.contentType);
      return;
    }
    case "/healthz": {
      // a degraded replica stays live: restarting it would not drain a topic that rejects its records
      const degraded = opts.degradedReason?.();
      if (!opts.isHealthy()) send(res, 503, "unhealthy\n");
      else send(res, 200, degraded === undefined ? "ok\n" : `ok (degraded: ${degraded})\n`);
      return;
    }
    case "/readyz":
      if (opts.isReady()) send(res, 200, "ready\n");
      else send(res, 503, `not ready: ${opts.notReadyReason?.() ?? "starting or partitions not loaded"}\n`);
      return;
    default:
      send(res, 404, "not found\n");
  }
}

export function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    handle(req, res, opts).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, `error: ${err instanceof Error ? err.message : String(err)}\n`);
      else res.destroy();
    });
  });
  // Scrapes are short; do not let an idle keep-alive connection hold shutdown for the default 5 s.
  server.keepAliveTimeout = 1_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            server.closeAllConnections();
          }),
      });
    });
  });
}
