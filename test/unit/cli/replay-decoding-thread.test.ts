// Replay with its decoding thread (src/cli/decoding-thread.ts) gives what replay decoding on its own thread
// gives: the same bytes on stdout, the same summary, the same progress and the same errors, on every input
// format replay reads, with rejected lines, blank lines and a strict stop; and when the CLI uses it.
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ConfigError, resolveConfig } from "../../../src/config/load.ts";
import { decodeThreadWanted, runReplay, type ReplaySummary } from "../../../src/cli/replay.ts";

const fixture = (path: string) => new URL(`../../fixtures/${path}`, import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "replay-thread-"));
const config = resolveConfig({ defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 3 } } });

interface Run {
  stdout: Buffer;
  summary: Omit<ReplaySummary, "elapsedMs" | "eventsPerSecond">;
  progress: [number, number][];
}

/** Replays `input`: decoded here, or on the decoding thread after a head of `head` lines decoded here. */
async function replay(input: string, decodeThread: boolean, strict = false, head = 0): Promise<Run> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on("data", (c: Buffer) => chunks.push(c));
  const progress: [number, number][] = [];
  const {
    elapsedMs: _elapsed,
    eventsPerSecond: _rate,
    ...summary
  } = await runReplay({
    input,
    config,
    strict,
    stdin: new PassThrough(),
    stdout,
    wallClockMs: 1_900_000_000_000,
    decodeThread,
    decodeThreadHeadLines: head,
    progress: { update: (lines, bytes) => progress.push([lines, bytes]), done() {} },
  });
  return { stdout: Buffer.concat(chunks), summary, progress };
}

/**
 * Decoded here, and on the thread from the first line and after a head of `heads` lines decoded here; the run
 * decoded here is returned, after the others were found equal to it.
 */
async function bothWays(input: string, heads: number[] = [0]): Promise<Run> {
  const here = await replay(input, false);
  for (const head of heads) {
    const threaded = await replay(input, true, false, head);
    expect(threaded.stdout.equals(here.stdout), `head ${head}`).toBe(true);
    expect(threaded.summary, `head ${head}`).toEqual(here.summary);
    // the last report of progress is the same: the threads report at other points of the input
    expect(threaded.progress.at(-1), `head ${head}`).toEqual(here.progress.at(-1));
  }
  return here;
}

/** The demo stream's first 9 000 lines with garbled lines, blank lines, CRLF endings and an event an hour late. */
function awkwardDemo(): { path: string; lines: number; garbled: number } {
  const lines = readFileSync(fixture("demo/predictions.jsonl"), "utf8").split("\n").slice(0, 9000);
  let garbled = 0;
  const out = lines.map((line, i) => {
    if (i % 499 === 10) {
      garbled++;
      return line.slice(0, 50);
    }
    if (i % 997 === 3) return "";
    if (i % 701 === 5) return `${line}\r`;
    if (i === 4000) return line.replace(/"timestamp":(\d+)/, (_x, t: string) => `"timestamp":${Number(t) - 3_600_000}`);
    return line;
  });
  const path = join(dir, "awkward.jsonl");
  const text = out.join("\n") + "\n\n\n";
  writeFileSync(path, text);
  return { path, lines: text.split("\n").length - 1, garbled };
}

describe("replay decoded on its decoding thread gives what replay decoded on its own thread gives", () => {
  it("on the demo stream, from the first line and after 16 384 and 32 768 lines decoded here: the same output", async () => {
    const run = await bothWays(fixture("demo/predictions.jsonl"), [0, 16384, 32768]);
    expect(run.summary.accepted).toBe(36000);
    expect(run.summary.driftEvents).toBeGreaterThan(0);
  }, 120_000);

  it("on garbled, blank and CRLF lines: the same rejections, with the same first lines, and the same lines read", async () => {
    const awkward = awkwardDemo();
    const run = await bothWays(awkward.path);
    expect(awkward).toMatchObject({ lines: 9002, garbled: 19 });
    expect(run.summary.linesRead).toBe(awkward.lines);
    expect(Object.keys(run.summary.rejected)).toEqual(["invalid_json"]);
    expect(run.summary.rejected.invalid_json.count).toBe(awkward.garbled);
    expect(run.summary.late).toBe(1);
  }, 60_000);

  it("on gzip, CSV, Parquet and Avro container input", async () => {
    for (const input of [
      "realdata/elec-ordered.jsonl.gz",
      "realdata/elec-ordered.csv.gz",
      "realdata/elec-ordered.parquet",
      "events/avro-container/events.deflate.avro",
    ]) {
      const run = await bothWays(fixture(input));
      expect(run.summary.accepted, input).toBeGreaterThan(0);
    }
  }, 120_000);

  it("on an empty file and a file of blank lines", async () => {
    writeFileSync(join(dir, "empty.jsonl"), "");
    writeFileSync(join(dir, "blank.jsonl"), "\n \n\t\n");
    expect((await bothWays(join(dir, "empty.jsonl"))).summary.linesRead).toBe(0);
    expect((await bothWays(join(dir, "blank.jsonl"))).summary.linesRead).toBe(3);
  }, 60_000);

  it("fails the same way on a missing file, a JSON document and, with --strict, the first invalid line", async () => {
    const document = join(dir, "document.json");
    writeFileSync(document, "[\n" + readFileSync(fixture("demo/predictions.jsonl"), "utf8").split("\n").slice(0, 3).join(",\n") + "\n]\n");
    for (const [input, strict] of [
      [join(dir, "missing.jsonl"), false],
      [document, false],
      [awkwardDemo().path, true],
    ] as const) {
      const here = await replay(input, false, strict).then(
        () => "no error",
        (e: Error) => `${e.name}: ${e.message}`,
      );
      const threaded = await replay(input, true, strict).then(
        () => "no error",
        (e: Error) => `${e.name}: ${e.message}`,
      );
      expect(here).toMatch(/^InputFileError: /);
      expect(threaded).toBe(here);
    }
  }, 60_000);
});

describe("whether the CLI's replay decodes on the thread (decodeThreadWanted)", () => {
  const twoCores = availableParallelism() > 1;
  const sized = (name: string, bytes: number) => {
    const path = join(dir, name);
    writeFileSync(path, "");
    truncateSync(path, bytes);
    return path;
  };

  it("by default: a file of 64 MiB or more with a second core; not a smaller one, stdin or a missing file", () => {
    expect(decodeThreadWanted(undefined, sized("big.jsonl", 64 * 1024 * 1024))).toBe(twoCores);
    expect(decodeThreadWanted("", sized("big.jsonl", 64 * 1024 * 1024))).toBe(twoCores);
    expect(decodeThreadWanted(undefined, sized("small.jsonl", 64 * 1024 * 1024 - 1))).toBe(false);
    expect(decodeThreadWanted(undefined, "-")).toBe(false);
    expect(decodeThreadWanted(undefined, join(dir, "missing.jsonl"))).toBe(false);
  });

  it("DRIFT_DETECTOR_DECODE_THREAD=0 never, =1 for any file, anything else an error naming it", () => {
    expect(decodeThreadWanted("0", sized("big.jsonl", 64 * 1024 * 1024))).toBe(false);
    expect(decodeThreadWanted("1", sized("tiny.jsonl", 10))).toBe(true);
    expect(() => decodeThreadWanted("yes", "-")).toThrow(ConfigError);
    expect(() => decodeThreadWanted("true", "-")).toThrow('environment: DRIFT_DETECTOR_DECODE_THREAD must be 0 or 1, not "true"');
  });
});
