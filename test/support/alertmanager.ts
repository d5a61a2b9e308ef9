// The real Alertmanager (Debian's `prometheus-alertmanager`, installed by deploy/local/test.sh) for tests, with
// the project's deploy/alertmanager/alertmanager.yml: its routes, grouping and inhibition as written, every
// receiver's webhook pointed at a local HTTP server that records what arrives, and group_wait cut to 1 s.
// Fails loudly when the binary is missing or does not start.
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { startServerProcess } from "./server-process.ts";

/** One webhook notification (Alertmanager's webhook payload, version 4). */
export interface AlertNotification {
  receiver: string;
  status: "firing" | "resolved";
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}

export interface AlertmanagerServer {
  url: string;
  /** what the webhook received, in order */
  notifications: AlertNotification[];
  output: string[];
  stop(): Promise<void>;
}

interface Route {
  group_wait?: string;
  routes?: Route[];
  [key: string]: unknown;
}

interface AlertmanagerConfigFile {
  route: Route;
  receivers: { name: string; webhook_configs?: { url: string }[] }[];
  [key: string]: unknown;
}

/** The config file with every webhook sent to `webhookUrl` and group_wait at 1 s (the rest as written). */
export function testAlertmanagerConfig(configFile: string, webhookUrl: string): AlertmanagerConfigFile {
  const config = parseYaml(readFileSync(configFile, "utf8")) as AlertmanagerConfigFile;
  const fast = (r: Route): Route => ({ ...r, group_wait: "1s", ...(r.routes ? { routes: r.routes.map(fast) } : {}) });
  return {
    ...config,
    route: fast(config.route),
    receivers: config.receivers.map((r) => ({ ...r, webhook_configs: (r.webhook_configs ?? []).map((w) => ({ ...w, url: webhookUrl })) })),
  };
}

export async function startAlertmanager(opts: { configFile: string }): Promise<AlertmanagerServer> {
  const notifications: AlertNotification[] = [];
  const webhook: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      notifications.push(JSON.parse(body) as AlertNotification);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
  const address = webhook.address();
  const webhookUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/alerts`;
  const closeWebhook = () => new Promise<void>((r) => webhook.close(() => r()));
  try {
    const server = await startServerProcess({
      command: "prometheus-alertmanager",
      install: "prometheus-alertmanager",
      prepare: (dir) => writeFileSync(join(dir, "alertmanager.yml"), stringifyYaml(testAlertmanagerConfig(opts.configFile, webhookUrl))),
      argsFor: (dir, port) => [
        `--config.file=${join(dir, "alertmanager.yml")}`,
        `--storage.path=${join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--cluster.listen-address=", // one instance: no gossip port
        "--log.level=warn",
      ],
      beforeStop: closeWebhook,
    });
    return { ...server, notifications };
  } catch (err) {
    await closeWebhook();
    throw err;
  }
}
