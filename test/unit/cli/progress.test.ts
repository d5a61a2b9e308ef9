import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createProgress, PROGRESS_INTERVAL_MS } from "../../../src/cli/progress.ts";
import { runReplay } from "../../../src/cli/replay.ts";
import { importBaselines } from "../../../src/cli/baseline-import.ts";
import { InMemoryStateStore } from "../../../src/state/memory-store.ts";
import { resolveConfig } from "../../../src/config/load.ts";
import { predictionStream } from "../../support/engine-streams.ts";

const run = promisify(execFile);
const BIN = new URL("../../../src/cli/bin.js", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "progress-test-"));

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string) => writes.push(s) > 0 };
}

/** A clock that advances by `step` ms per reading. */
function steppingClock(step: number) {
  let t = 0;
  return () => (t += step);
}

describe("CLI progress", () => {
  it("on a terminal: one line rewritten in place with lines, share of the file and MB; cleared at the end", () => {
    const stream = fakeStream(true);
    const progress = createProgress(stream, "replay", "events.jsonl", { now: steppingClock(PROGRESS_INTERVAL_MS), totalBytes: 2_000_000 });
    progress.update(256, 500_000);
    progress.update(512, 1_000_000);
    progress.done();
    expect(stream.writes).toEqual([
      "\rreplay: 256 lines, 25 % (0.5 MB of 2.0 MB)\x1b[K",
      "\rreplay: 512 lines, 50 % (1.0 MB of 2.0 MB)\x1b[K",
      "\r\x1b[K",
    ]);
  });

  it(`at most one update per ${PROGRESS_INTERVAL_MS} ms`, () => {
    const stream = fakeStream(true);
    const progress = createProgress(stream, "replay", "-", { now: steppingClock(PROGRESS_INTERVAL_MS / 2) });
    for (let lines = 256; lines <= 256 * 8; lines += 256) progress.update(lines, lines * 100);
    // readings at 100, 125, 250, …: every second one is a full interval after the last shown
    expect(stream.writes).toHaveLength(4);
    expect(stream.writes[0]).toBe("\rreplay: 512 lines, 0.1 MB\x1b[K");
  });

  it("piped or redirected (not a TTY): writes nothing", () => {
    const stream = fakeStream(false);
    const progress = createProgress(stream, "replay", "events.jsonl", { now: steppingClock(10_000), totalBytes: 10 });
    for (let lines = 256; lines <= 2560; lines += 256) progress.update(lines, lines);
    progress.done();
    expect(stream.writes).toEqual([]);
  });

  it("replay reports the lines and bytes read after every read of the input, ending at the whole file", async () => {
    const lines = [...predictionStream(600, { seed: 3 })].map((e) => JSON.stringify(e));
    const path = join(dir, "p.jsonl");
    writeFileSync(path, lines.join("\n") + "\n");
    const seen: [number, number][] = [];
    await runReplay({
      input: path,
      config: resolveConfig({}),
      strict: false,
      stdin: new PassThrough(),
      stdout: new PassThrough(),
      progress: { update: (l, b) => seen.push([l, b]), done() {} },
    });
    expect(seen.length).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i][0]).toBeGreaterThanOrEqual(seen[i - 1][0]);
    expect(seen.at(-1)).toEqual([600, Buffer.byteLength(lines.join("\n") + "\n")]);
  });

  it("baseline import reports every line to the progress", async () => {
    const path = join(dir, "ref.jsonl");
    writeFileSync(path, [...predictionStream(300, { seed: 4 })].map((e) => JSON.stringify(e)).join("\n") + "\n");
    const seen: number[] = [];
    const summary = await importBaselines({
      input: path,
      config: resolveConfig({}),
      store: new InMemoryStateStore(),
      stdin: new PassThrough(),
      progress: { update: (l) => seen.push(l), done() {} },
    });
    expect(summary.baselines).toHaveLength(1);
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it("a real terminal (script(1) pty) shows progress on a long replay; a pipe does not", async () => {
    // long enough to outlast PROGRESS_INTERVAL_MS several times over: 20 000 lines replay in ~0.2 s now
    const lines = [...predictionStream(100_000, { seed: 5 })].map((e) => JSON.stringify(e));
    const path = join(dir, "long.jsonl");
    writeFileSync(path, lines.join("\n") + "\n");
    const command = `node ${BIN} replay --input ${path} >/dev/null`;
    const tty = await run("script", ["-qefc", command, "/dev/null"], { maxBuffer: 16 << 20 });
    expect(tty.stdout).toMatch(/\rreplay: \d+ lines, \d+ % \(\d+\.\d MB of \d+\.\d MB\)/);
    expect(tty.stdout).toContain(" MB)\x1b[K");
    expect(tty.stdout).toMatch(/replay: 100000 lines read, 100000 events accepted/);
    const piped = await run("node", [BIN, "replay", "--input", path]);
    expect(piped.stderr).not.toContain("\r");
    expect(piped.stderr).not.toContain("\x1b");
    expect(piped.stderr).toMatch(/^replay: 100000 lines read, 100000 events accepted/);
  }, 120_000);

  it("replay --input - at a terminal says it reads the terminal and how to end; piped stdin gets no such line", async () => {
    // Ctrl-D typed into script(1)'s pty ends the input
    const tty = await new Promise<string>((done, fail) => {
      const child = execFile("script", ["-qefc", `node ${BIN} replay --input -`, "/dev/null"], (err, stdout) =>
        err ? fail(err) : done(stdout),
      );
      child.stdin?.end("\x04");
    });
    expect(tty).toContain("replay: reading JSON lines from the terminal; end with Ctrl-D");
    expect(tty).toMatch(/replay: 0 lines read/);
    const piped = await new Promise<string>((done, fail) => {
      const child = execFile("node", [BIN, "replay", "--input", "-"], (err, _stdout, stderr) => (err ? fail(err) : done(stderr)));
      child.stdin?.end("");
    });
    expect(piped).not.toContain("reading JSON lines from the terminal");
    expect(piped).toMatch(/^replay: 0 lines read/);
  }, 60_000);
});
