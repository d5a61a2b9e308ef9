// A throwaway Redis Cluster of real redis-server processes (cluster mode, no replicas), for the tests of
// redis.cluster. Fails loudly when redis-server or redis-cli is missing or the cluster does not form.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisClusterHandle {
  /** redis://127.0.0.1:<port of the first node> */
  url: string;
  ports: number[];
  stop(): void;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive ports whose cluster bus ports (+10000) are free too. */
async function clusterPorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 41000 + Math.floor(Math.random() * 9000);
    const ports = Array.from({ length: count }, (_, i) => base + i);
    const free = await Promise.all(ports.flatMap((p) => [portFree(p), portFree(p + 10000)]));
    if (free.every(Boolean)) return ports;
  }
  throw new Error("no free ports for a Redis Cluster (and their cluster bus ports) in 41000-50000");
}

function run(command: string, args: string[], cwd?: string): string {
  const res = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 30_000 });
  if (res.error !== undefined)
    throw new Error(`${command} could not run (is it installed? deploy/local/test.sh installs it): ${res.error.message}`);
  if (res.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${res.status}:\n${res.stdout}${res.stderr}`);
  return res.stdout;
}

export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  const ports = await clusterPorts(masters);
  const dir = mkdtempSync(join(tmpdir(), "redis-cluster-"));
  const started: number[] = [];
  const stop = () => {
    for (const p of started) spawnSync("redis-cli", ["-p", String(p), "shutdown", "nosave"], { timeout: 10_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const args = [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        `nodes-${port}.conf`,
      ];
      run("redis-server", [...args, "--save", "", "--appendonly", "no", "--daemonize", "yes", "--logfile", `redis-${port}.log`], dir);
      started.push(port);
    }
    const nodes = ports.map((p) => `127.0.0.1:${p}`);
    run("redis-cli", ["--cluster", "create", ...nodes, "--cluster-replicas", "0", "--cluster-yes"]);
    // every node must agree on the slots before a client arrives
    const deadline = Date.now() + 20_000;
    while (!ports.every((p) => /cluster_state:ok/.test(run("redis-cli", ["-p", String(p), "cluster", "info"])))) {
      if (Date.now() > deadline) throw new Error(`Redis Cluster on ${nodes.join(", ")} did not reach cluster_state:ok in 20 s`);
      spawnSync("sleep", ["0.2"]);
    }
  } catch (err) {
    stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
}
