// Avro object container files (written by fastavro, an independent implementation:
// test/fixtures/events/avro-container/make_avro_files.py) read as replay and baseline import input.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { InputFileError, readEventLines } from "../../../src/cli/event-lines.ts";
import { runReplay } from "../../../src/cli/replay.ts";
import { importBaselines } from "../../../src/cli/baseline-import.ts";
import { resolveConfig } from "../../../src/config/load.ts";
import { InMemoryStateStore } from "../../../src/state/memory-store.ts";

const fixture = (name: string) => new URL(`../../fixtures/events/avro-container/${name}`, import.meta.url).pathname;
const CODECS = ["null", "deflate", "snappy", "zstandard"];

/** Each line's decode result as JSON (events key for key, rejections with reason and message). */
async function decoded(input: string): Promise<string[]> {
  const out: string[] = [];
  for await (const { line, result } of readEventLines(input, new PassThrough(), 1 << 20))
    out.push(JSON.stringify(result.ok ? { line, event: result.event } : { line, reason: result.reason, field: result.field }));
  return out;
}

describe("Avro container input", () => {
  it("each codec's file, and a Spark-style one (nullable fields, timestamp-micros), gives the events of the same JSON lines", async () => {
    const want = await decoded(fixture("events.jsonl"));
    expect(want).toHaveLength(300);
    expect(JSON.parse(want[10])).toEqual({ line: 10, reason: "schema_violation", field: "modelId" });
    for (const codec of [...CODECS, "reordered", "spark-micros"]) {
      const got = await decoded(fixture(`events.${codec}.avro`));
      expect({ codec, lines: got }).toEqual({ codec, lines: want });
    }
  });

  it("a replay of a container file is the replay of the same JSON lines", async () => {
    const config = resolveConfig({ defaults: { window: { maxEvents: 20, minEvents: 10 }, baseline: { warmupWindows: 2 } } });
    const replay = async (input: string) => {
      const stdout = new PassThrough();
      const chunks: Buffer[] = [];
      stdout.on("data", (c: Buffer) => chunks.push(c));
      const summary = await runReplay({ input, config, strict: false, stdin: new PassThrough(), stdout, wallClockMs: 1767225600000 });
      const { elapsedMs: _e, eventsPerSecond: _r, ...rest } = summary;
      return { summary: rest, outputs: Buffer.concat(chunks).toString("utf8") };
    };
    const want = await replay(fixture("events.jsonl"));
    expect(want.summary.windowsClosed).toBeGreaterThan(10);
    expect(await replay(fixture("events.zstandard.avro"))).toEqual(want);
  });

  it("baseline import of a container file stores the references the same JSON lines give", async () => {
    const imported = async (input: string) => {
      const store = new InMemoryStateStore();
      const summary = await importBaselines({ input, config: resolveConfig({}), store, stdin: new PassThrough() });
      const stored = await Promise.all(
        summary.baselines.map(async (b) =>
          Buffer.from((await store.getReferenceBaseline(b.modelId, b.modelVersion)) ?? []).toString("base64"),
        ),
      );
      return { summary, stored };
    };
    // the reference's id names the file: both copied under one name
    const named = (source: string) => {
      const path = join(mkdtempSync(join(tmpdir(), "avro-import-")), "history");
      writeFileSync(path, readFileSync(source));
      return path;
    };
    const want = await imported(named(fixture("events.jsonl")));
    expect(want.summary.baselines.map((b) => b.id)).toEqual([
      "fraud-scorer@2026-01-15/reference/import:history",
      "churn-model@v3.2.0/reference/import:history",
      "eta-regressor@2026.02.1/reference/import:history",
    ]);
    expect(await imported(named(fixture("events.deflate.avro")))).toEqual(want);
  });

  it("refuses a codec it does not read, a truncated file and a broken sync marker, naming the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "avro-container-"));
    const deflate = readFileSync(fixture("events.deflate.avro"));
    const brokenSync = Buffer.from(deflate);
    // the header's sync marker is the 16 bytes before the first block; the last 16 bytes are the last block's
    brokenSync[brokenSync.length - 1] ^= 0xff;
    // the first block's record count, rewritten to 1 000 000 (zig-zag varint 2 000 000); the header ends with the
    // sync marker every block ends with, so the first block starts after its first occurrence
    const plain = readFileSync(fixture("events.null.avro"));
    const blockAt = plain.indexOf(plain.subarray(plain.length - 16)) + 16;
    let countBytes = 1;
    while ((plain[blockAt + countBytes - 1] & 0x80) !== 0) countBytes++;
    const claimsMore = Buffer.concat([plain.subarray(0, blockAt), Buffer.from([0x80, 0x89, 0x7a]), plain.subarray(blockAt + countBytes)]);
    const cases = [
      { path: fixture("events.bzip2.avro"), error: /codec bzip2 is not supported \(null, deflate, snappy, zstandard are\)/ },
      { path: join(dir, "count.avro"), bytes: claimsMore, error: /a block claims 1000000 records in \d+ bytes/ },
      { path: join(dir, "cut.avro"), bytes: deflate.subarray(0, deflate.length - 100), error: /the file ends inside a block/ },
      { path: join(dir, "sync.avro"), bytes: brokenSync, error: /a block's sync marker is not the header's/ },
    ];
    for (const c of cases) {
      if (c.bytes !== undefined) writeFileSync(c.path, c.bytes);
      const failure = await decoded(c.path).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(InputFileError);
      expect((failure as Error).message).toMatch(new RegExp(`^cannot read Avro container input ${c.path.replace(/[.]/g, "\\.")}: `));
      expect((failure as Error).message).toMatch(c.error);
    }
  });
});
