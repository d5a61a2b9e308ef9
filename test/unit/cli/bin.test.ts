// src/cli/bin.js picks what to run: the compiled dist/ when it was built after the last change under src/,
// else the TypeScript sources (through tsx). Checked on a throwaway checkout whose two entry points say
// which of them ran. (test/unit/cli/compiled-cli.test.ts runs the real bundle.)
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const REPO = new URL("../../..", import.meta.url).pathname;
const root = mkdtempSync(join(tmpdir(), "dd-bin-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

mkdirSync(join(root, "src", "cli"), { recursive: true });
mkdirSync(join(root, "dist", "cli"), { recursive: true });
symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
writeFileSync(join(root, "package.json"), JSON.stringify({ type: "module" }));
copyFileSync(join(REPO, "src", "cli", "bin.js"), join(root, "src", "cli", "bin.js"));
writeFileSync(join(root, "src", "cli", "main.ts"), 'const ran: string = "sources";\nconsole.log(ran);\n');
const BUNDLE = 'console.log("dist");\n';
writeFileSync(join(root, "dist", "cli", "drift-detector.cjs"), BUNDLE);
const CODE_CACHE = join(root, "dist", "cli", "drift-detector.cjs.cache");
const stamp = join(root, "dist", ".built-from-src");
const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
const NOW = Math.floor(Date.now() / 1000);

async function ran(env: Record<string, string> = {}): Promise<string> {
  const environment: Record<string, string | undefined> = { ...process.env, ...env };
  if (env.DRIFT_DETECTOR_SOURCES === undefined) delete environment.DRIFT_DETECTOR_SOURCES;
  const { stdout } = await run(process.execPath, [join(root, "src", "cli", "bin.js")], { env: environment });
  return stdout.trim();
}

describe("bin.js", () => {
  it("runs dist/ when the build stamp is newer than every file under src/", async () => {
    for (const f of ["bin.js", "main.ts"]) at(join(root, "src", "cli", f), NOW - 100);
    writeFileSync(stamp, "");
    at(stamp, NOW - 50);
    expect(await ran()).toBe("dist");
  });

  it("runs the sources when DRIFT_DETECTOR_SOURCES=1, however fresh the build", async () => {
    expect(await ran({ DRIFT_DETECTOR_SOURCES: "1" })).toBe("sources");
  });

  it("runs the sources when a source file changed after the build started", async () => {
    at(join(root, "src", "cli", "main.ts"), NOW - 10);
    expect(await ran()).toBe("sources");
  });

  it("runs the sources when no build finished (no stamp)", async () => {
    rmSync(stamp);
    at(join(root, "src", "cli", "main.ts"), NOW - 100);
    expect(await ran()).toBe("sources");
  });

  it("runs dist/ whatever its code cache holds: one of another bundle, or bytes V8 rejects", async () => {
    const sha256 = (text: string) => createHash("sha256").update(text).digest();
    writeFileSync(stamp, "");
    at(stamp, NOW - 5);
    writeFileSync(CODE_CACHE, Buffer.concat([sha256("another bundle"), Buffer.alloc(64, 7)]));
    expect(await ran()).toBe("dist");
    writeFileSync(CODE_CACHE, Buffer.concat([sha256(BUNDLE), Buffer.alloc(64, 7)]));
    expect(await ran()).toBe("dist");
    rmSync(CODE_CACHE);
    rmSync(stamp);
  });

  it("runs dist/ where no sources ship (the image)", async () => {
    rmSync(join(root, "src", "cli", "main.ts"));
    expect(await ran()).toBe("dist");
  });
});
