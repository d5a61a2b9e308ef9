// A throwaway Redis Sentinel deployment of real redis-server processes: a master, one replica and one
// Sentinel monitoring them as "drift-master" (quorum 1, so a failover needs no second Sentinel), for the tests
// of redis.sentinel. Fails loudly when redis-server or redis-cli is missing or the deployment does not form.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { waitFor } from "./wait-for.ts";

export const SENTINEL_MASTER_NAME = "drift-master";

export interface RedisSentinelHandle {
  /** redis://127.0.0.1:<the Sentinel's port> */
  sentinelUrl: string;
  /** ports of the two data nodes (the first starts as master) */
  dataPorts: [number, number];
  /** the port of the current master, as the Sentinel reports it */
  masterPort(): number;
  /**
   * SENTINEL FAILOVER, then waits until the Sentinel reports the other node as master, it says so itself, and
   * the demoted node replicates from it (until then it still takes writes, which its resync then discards)
   */
  failover(): Promise<number>;
  /**
   * An unplanned failover that loses acknowledged writes: the replica is stopped (SIGSTOP) and its link
   * closed while `meanwhile` runs, so it misses every write the master takes then; then the master is killed
   * (SIGKILL) and the replica resumed, and the Sentinel promotes it. Resolves with the new master's port once it says so itself.
   * The killed node stays down.
   */
  crashMasterLosingWrites(meanwhile: () => Promise<void>): Promise<number>;
  stop(): void;
}

function cli(args: string[]): string {
  const res = spawnSync("redis-cli", args, { encoding: "utf8", timeout: 10_000 });
  if (res.error !== undefined) throw new Error(`redis-cli could not run (deploy/local/test.sh installs it): ${res.error.message}`);
  if (res.status !== 0) throw new Error(`redis-cli ${args.join(" ")} exited ${res.status}: ${res.stderr}`);
  return res.stdout.trim();
}

// waitFor counts a probe that throws as "not yet": while the Sentinel reconfigures a node it kills that node's
// normal clients (CLIENT KILL TYPE normal), so a redis-cli probe can be cut off mid-failover.
const waitUntil = (what: string, check: () => boolean, timeoutMs: number): Promise<true> =>
  waitFor(what, () => check() || undefined, timeoutMs, 100);

export async function startRedisSentinel(): Promise<RedisSentinelHandle> {
  const dir = mkdtempSync(join(tmpdir(), "redis-sentinel-"));
  const [master, replica, sentinel] = [await freePort(), await freePort(), await freePort()];
  const started: number[] = [];
  const stop = () => {
    for (const p of started) spawnSync("redis-cli", ["-p", String(p), "shutdown", "nosave"], { timeout: 10_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  const server = (args: string[]) => {
    const res = spawnSync("redis-server", [...args, "--daemonize", "yes"], { cwd: dir, encoding: "utf8", timeout: 10_000 });
    if (res.error !== undefined) throw new Error(`redis-server could not run (deploy/local/test.sh installs it): ${res.error.message}`);
    if (res.status !== 0) throw new Error(`redis-server ${args.join(" ")} exited ${res.status}: ${res.stderr}`);
  };
  const masterPort = () =>
    Number(cli(["-p", String(sentinel), "sentinel", "get-master-addr-by-name", SENTINEL_MASTER_NAME]).split("\n")[1]);
  try {
    const data = (port: number, extra: string[]) => [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--logfile",
      `redis-${port}.log`,
      ...extra,
    ];
    server(data(master, []));
    started.push(master);
    server(data(replica, ["--replicaof", "127.0.0.1", String(master)]));
    started.push(replica);
    const conf = join(dir, "sentinel.conf");
    writeFileSync(
      conf,
      [
        `port ${sentinel}`,
        "bind 127.0.0.1",
        `logfile sentinel-${sentinel}.log`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master} 1`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 10000`,
        "",
      ].join("\n"),
    );
    server([conf, "--sentinel"]);
    started.push(sentinel);
    await waitUntil("the replica to sync", () => /master_link_status:up/.test(cli(["-p", String(replica), "info", "replication"])), 20_000);
    await waitUntil(
      "the Sentinel to see the replica",
      () => cli(["-p", String(sentinel), "sentinel", "replicas", SENTINEL_MASTER_NAME]).includes(String(replica)),
      20_000,
    );
  } catch (err) {
    stop();
    throw err;
  }
  return {
    sentinelUrl: `redis://127.0.0.1:${sentinel}`,
    dataPorts: [master, replica],
    masterPort,
    async failover() {
      const before = masterPort();
      cli(["-p", String(sentinel), "sentinel", "failover", SENTINEL_MASTER_NAME]);
      await waitUntil(
        "the failover",
        () => {
          const now = masterPort();
          return now !== before && /role:master/.test(cli(["-p", String(now), "info", "replication"]));
        },
        30_000,
      );
      const after = masterPort();
      await waitUntil(
        `the demoted node ${before} to replicate from ${after}`,
        () => {
          const info = cli(["-p", String(before), "info", "replication"]);
          return /role:slave/.test(info) && new RegExp(`master_port:${after}\\b`).test(info) && /master_link_status:up/.test(info);
        },
        30_000,
      );
      return after;
    },
    async crashMasterLosingWrites(meanwhile) {
      const before = masterPort();
      const other = before === master ? replica : master;
      const pid = (port: number) => Number(/process_id:(\d+)/.exec(cli(["-p", String(port), "info", "server"]))?.[1]);
      const [masterPid, replicaPid] = [pid(before), pid(other)];
      // stopped, then cut off: what the master sent before still waits in the replica's socket, nothing after
      process.kill(replicaPid, "SIGSTOP");
      cli(["-p", String(before), "client", "kill", "type", "replica"]);
      try {
        await meanwhile();
      } finally {
        process.kill(masterPid, "SIGKILL");
        process.kill(replicaPid, "SIGCONT");
      }
      await waitUntil(
        `the Sentinel to promote ${other}`,
        () => masterPort() === other && /role:master/.test(cli(["-p", String(other), "info", "replication"])),
        60_000,
      );
      return other;
    },
    stop,
  };
}
