// Parquet input (src/cli/parquet-input.ts) on files pyarrow and pandas wrote (test/fixtures/realdata/make_parquet.py):
// nested struct columns, gzip and several row groups; map columns; a pandas index column; a file cut short. Elec2 in Parquet
// replays as its JSON lines do: test/unit/realdata/elec-parquet.test.ts.
import { readFileSync } from "node:fs";
import { PassThrough, Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readLineBatches } from "../../../src/cli/event-lines.ts";
import { parquetLineBlocks, ParquetInputError, parquetRowJson, type Column } from "../../../src/cli/parquet-input.ts";
import { runReplay } from "../../../src/cli/replay.ts";
import { resolveConfig } from "../../../src/config/load.ts";
import { decodeJsonPrediction } from "../../../src/events/codec.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";

const fixture = (name: string) => new URL(`../../fixtures/parquet/${name}`, import.meta.url);
const demoLines = readFileSync(new URL("../../fixtures/demo/predictions.jsonl", import.meta.url), "utf8")
  .split("\n")
  .slice(0, 600);

async function decodedRows(file: Buffer): Promise<{ rows: number[]; events: PredictionEvent[] }> {
  const rows: number[] = [];
  const events: PredictionEvent[] = [];
  for await (const block of parquetLineBlocks(file, "prediction")) {
    for (let k = 0; k < block.starts.length; k++) {
      const result = decodeJsonPrediction(block.frames.subarray(block.starts[k], block.ends[k]));
      if (!result.ok) throw new Error(`row ${block.lines[k]}: ${result.message}`);
      rows.push(block.lines[k]);
      events.push(result.event);
    }
  }
  return { rows, events };
}

describe("Parquet input", () => {
  it("struct columns (pyarrow from_pylist, gzip, row groups of 250): each row is its JSON line's event, the other models' features null", async () => {
    const { rows, events } = await decodedRows(readFileSync(fixture("demo-nested.parquet")));
    expect(rows).toEqual(Array.from({ length: 600 }, (_, i) => i));
    for (let i = 0; i < 600; i++) {
      const line = decodeJsonPrediction(new TextEncoder().encode(demoLines[i]));
      if (!line.ok) throw new Error(line.message);
      const { features, attributes, ...fields } = events[i];
      const { features: lineFeatures, attributes: lineAttributes, ...lineFields } = line.event;
      expect(fields).toEqual(lineFields);
      // a struct has every model's fields: those this event lacks are null (missing), as in a flattened CSV
      expect(Object.fromEntries(Object.entries(features ?? {}).filter(([k]) => k in (lineFeatures ?? {})))).toEqual(lineFeatures);
      for (const [k, v] of Object.entries(features ?? {})) if (!(k in (lineFeatures ?? {}))) expect(v, k).toBeNull();
      // a struct of attributes: null fields are left out
      expect(attributes).toEqual(lineAttributes);
    }
  });

  it("map columns (map<string, double>, map<string, string>): the entries present, a null entry missing, a null map none", async () => {
    const lines: string[] = [];
    for await (const block of parquetLineBlocks(readFileSync(fixture("map-columns.parquet")), "prediction")) {
      for (let k = 0; k < block.starts.length; k++) lines.push(block.frames.subarray(block.starts[k], block.ends[k]).toString());
    }
    expect(lines).toEqual([
      '{"eventId":"a","modelId":"m","modelVersion":"v","timestamp":1767225600000,"features":{"x":1.5,"y":null},"attributes":{"region":"eu"}}',
      '{"eventId":"b","modelId":"m","modelVersion":"v","timestamp":1767225600500,"features":{"x":2.5}}',
    ]);
  });

  it("replay reads it by its first bytes: the summary counts rows as lines", async () => {
    const stdout = new Writable({ write: (_c, _e, done) => done() });
    const summary = await runReplay({
      input: new URL(fixture("demo-nested.parquet")).pathname,
      config: resolveConfig({}),
      strict: false,
      stdin: new PassThrough(),
      stdout,
    });
    expect(summary).toMatchObject({ linesRead: 600, accepted: 600, rejected: {} });
  });

  it("a pandas index column stops the input naming the fix; a file cut short stops it as unreadable", async () => {
    const read = async (bytes: Buffer) => {
      for await (const _ of readLineBatches("-", new PassThrough({ objectMode: false }).end(bytes) as PassThrough, new Map()));
    };
    await expect(read(readFileSync(fixture("demo-with-index.parquet")))).rejects.toThrow(
      /^cannot read Parquet input -: the column __index_level_0__ is not a field of PredictionEvent \(pandas writes its index so: to_parquet\(index=False\)\)/,
    );
    const whole = readFileSync(fixture("demo-nested.parquet"));
    await expect(read(whole.subarray(0, whole.length - 100))).rejects.toThrow(
      /^cannot read Parquet input -: not a readable Parquet file: /,
    );
    await expect(parquetLineBlocks(whole.subarray(0, 200), "prediction").next()).rejects.toBeInstanceOf(ParquetInputError);
  });

  it("a row's values as JSON: a timestamp as epoch millis, a 64-bit integer as a number (beyond 2^53 a string), NaN as Python's token, a list as an array", () => {
    const columns: Column[] = [
      { name: "eventId", kind: "field", key: "eventId" },
      { name: "timestamp", kind: "field", key: "timestamp" },
      { name: "prediction", kind: "field", key: "prediction" },
      { name: "features.count", kind: "feature", key: "count" },
      { name: "features.huge", kind: "feature", key: "huge" },
      { name: "features.score", kind: "feature", key: "score" },
      { name: "features.tags", kind: "feature", key: "tags" },
      { name: "features.absent", kind: "feature", key: "absent" },
      { name: "attributes.region", kind: "attribute", key: "region" },
    ];
    const row = {
      eventId: "e",
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, 250)),
      prediction: null,
      "features.count": 42n,
      "features.huge": 9007199254740993n,
      "features.score": Number.NaN,
      "features.tags": ["a", "b"],
      "attributes.region": null,
    };
    expect(parquetRowJson(columns, row)).toBe(
      '{"eventId":"e","timestamp":1767225600250,"features":{"count":42,"huge":"9007199254740993","score":NaN,"tags":["a","b"],"absent":null}}',
    );
    // the list is then rejected by the decoder, naming the feature (NaN is, as non_finite_number)
    const complete: Column[] = [
      ...columns,
      { name: "modelId", kind: "field", key: "modelId" },
      { name: "modelVersion", kind: "field", key: "modelVersion" },
    ];
    const line = parquetRowJson(complete, { ...row, "features.score": 1, modelId: "m", modelVersion: "v" });
    const decoded = decodeJsonPrediction(new TextEncoder().encode(line));
    expect(decoded).toMatchObject({ ok: false, field: "features.tags" });
  });
});
