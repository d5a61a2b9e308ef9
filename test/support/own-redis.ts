// A redis-server of one test only (so it can be flushed, paused or locked without touching the shared test
// Redis); fails loudly when redis-server is not installed (deploy/local/test.sh installs it).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./ports.ts";
import { waitFor } from "./service-harness.ts";

export interface OwnRedis {
  url: string;
  child: ChildProcess;
  cli(...args: string[]): string;
  stop(): Promise<void>;
}

export async function startOwnRedis(extra: string[] = []): Promise<OwnRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "dd-redis-"));
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...extra],
    { stdio: "ignore" },
  );
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (err) => reject(new Error(`cannot start redis-server (apt-get install redis-server): ${err.message}`)));
  });
  // redis-cli authenticates with the password the server was started with (--requirepass), if any
  const password = extra.includes("--requirepass") ? extra[extra.indexOf("--requirepass") + 1] : undefined;
  const cli = (...args: string[]) => {
    const res = spawnSync(
      "redis-cli",
      ["-p", String(port), ...(password === undefined ? [] : ["--no-auth-warning", "-a", password]), ...args],
      { encoding: "utf8" },
    );
    if (res.error !== undefined) throw new Error(`redis-cli: ${res.error.message}`);
    return res.stdout.trim();
  };
  await waitFor("own redis-server to answer", () => (cli("PING") === "PONG" ? true : undefined), 15_000, 100);
  return {
    url: `redis://127.0.0.1:${port}`,
    child,
    cli,
    stop: async () => {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await new Promise((r) => (child.exitCode === null && child.signalCode === null ? child.once("exit", r) : r(undefined)));
    },
  };
}
