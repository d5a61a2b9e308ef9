// A server binary of the test's own (Prometheus, Alertmanager): checked to be installed, started in a temporary
// directory, ready once its /-/ready answers 200, stopped with SIGTERM. Fails loudly when the binary is
// missing, exits or does not get ready in 30 s.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "./service-harness.ts";

export interface ServerProcess {
  url: string;
  output: string[];
  stop(): Promise<void>;
}

/**
 * Starts `command` with the args `argsFor(dir, port)` give for its temporary directory and a free port.
 * `install` names the Debian package in the error when the binary is missing; `beforeStop` runs at stop.
 */
export async function startServerProcess(opts: {
  command: string;
  install: string;
  prepare?: (dir: string) => void;
  argsFor: (dir: string, port: number) => string[];
  beforeStop?: () => Promise<void>;
}): Promise<ServerProcess> {
  const version = spawnSync(opts.command, ["--version"], { encoding: "utf8" });
  if (version.error !== undefined || version.status !== 0) {
    throw new Error(
      `${opts.command} is not installed (apt-get install ${opts.install}; deploy/local/test.sh does it): ${version.error?.message ?? version.stderr}`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), `${opts.command}-test-`));
  opts.prepare?.(dir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(opts.command, opts.argsFor(dir, port), { stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  child.stdout?.on("data", (c: Buffer) => output.push(c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => output.push(c.toString("utf8")));
  let exited = false;
  child.once("exit", () => (exited = true));
  const stop = async () => {
    if (!exited) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    await opts.beforeStop?.();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `${opts.command} to be ready`,
      async () => {
        if (exited) throw new Error(`${opts.command} exited: ${output.join("")}`);
        const res = await fetch(`${url}/-/ready`).catch(() => undefined);
        return res?.ok === true ? true : undefined;
      },
      30_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, output, stop };
}
