// The peer tools the peer benchmarks run as child processes (test/bench/peers/, pinned from PyPI): the python
// of each one's venv, and the JSON report its script prints last.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
export const PEER_SCRIPTS = join(ROOT, "test/bench/peers");

/** The python of a peer's venv, installed when missing (`deploy/local/examples.sh ensure peer-…`). */
export function peerPython(peer: "river" | "alibi"): string {
  const out = execFileSync("bash", [join(ROOT, "deploy/local/examples.sh"), "ensure", `peer-${peer}`], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop()!;
}

/** The JSON object a peer script prints last. */
export function peerReport(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}
