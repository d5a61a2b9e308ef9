// The alert rules are tested by promtool itself (deploy/prometheus/alerts.test.yml). This test runs it so a
// broken rule fails `npm test`. promtool comes from the Debian `prometheus` package (deploy/local/test.sh
// installs it); when it is missing this test fails with that instruction instead of skipping.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../../", import.meta.url));

function promtool(...args: string[]): { status: number | null; output: string } {
  const res = spawnSync("promtool", args, { cwd: root, encoding: "utf8", timeout: 60_000 });
  if (res.error !== undefined) {
    throw new Error(`promtool could not be run (${res.error.message}); install it with: apt-get install -y prometheus`);
  }
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

describe("prometheus rules and config", () => {
  it("promtool check rules accepts deploy/prometheus/alerts.yml", () => {
    const res = promtool("check", "rules", "deploy/prometheus/alerts.yml");
    expect(res.output).toContain("SUCCESS");
    expect(res.status, res.output).toBe(0);
  });

  it("promtool test rules passes every alert test in deploy/prometheus/alerts.test.yml", () => {
    const res = promtool("test", "rules", "deploy/prometheus/alerts.test.yml");
    expect(res.status, res.output).toBe(0);
    expect(res.output).toContain("SUCCESS");
  });

  it("promtool check config accepts the example deploy/prometheus/prometheus.yml", () => {
    const res = promtool("check", "config", "deploy/prometheus/prometheus.yml");
    expect(res.status, res.output).toBe(0);
  });

  it("amtool check-config accepts deploy/alertmanager/alertmanager.yml (its routing and inhibition run in prometheus-e2e)", () => {
    const res = spawnSync("amtool", ["check-config", "deploy/alertmanager/alertmanager.yml"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
    });
    if (res.error !== undefined)
      throw new Error(
        `amtool is not installed (apt-get install prometheus-alertmanager; deploy/local/test.sh does it): ${res.error.message}`,
      );
    expect(res.status, res.stdout + res.stderr).toBe(0);
    expect(res.stdout).toContain("SUCCESS");
    expect(res.stdout).toContain("1 inhibit rules");
  });
});
