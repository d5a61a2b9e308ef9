// CSV input (src/cli/csv-input.ts): RFC 4180 rows whatever the read chunks, the header checked against the
// contract, each row the JSON line of its event (expected lines written by hand), and replay over CSV files:
// rejections named by field and line, a row that is not CSV stopping the input at its line.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  csvColumns,
  csvLineBlocks,
  csvRowJson,
  CsvInputError,
  csvHeaderSeparator,
  parseCsvRows,
  type CsvRow,
} from "../../../src/cli/csv-input.ts";
import { referencesFromFile, runReplay } from "../../../src/cli/replay.ts";
import { resolveConfig } from "../../../src/config/load.ts";
import type { DriftEvent } from "../../../src/events/types.ts";
import { predictionStream } from "../../support/engine-streams.ts";

const dir = mkdtempSync(join(tmpdir(), "csv-input-test-"));
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const row = (cells: string[], quoted: boolean[] = cells.map(() => false), line = 1): CsvRow => ({ line, cells, quoted });

/** Every JSON line of a CSV text, with its line, read in chunks of `size` bytes. */
async function linesOf(text: string, size: number): Promise<{ line: number; json: string }[]> {
  const bytes = Buffer.from(text, "utf8");
  async function* chunks() {
    for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
  }
  const out: { line: number; json: string }[] = [];
  for await (const block of csvLineBlocks(chunks(), "prediction")) {
    for (let k = 0; k < block.lines.length; k++)
      out.push({ line: block.lines[k], json: block.frames.toString("utf8", block.starts[k], block.ends[k]) });
  }
  return out;
}

describe("CSV rows (RFC 4180)", () => {
  it("quoted cells keep commas, doubled quotes and line breaks; CRLF and LF end rows; blank rows are skipped", () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","two\nlines"\n\n1,,3';
    const { rows } = parseCsvRows(Buffer.from(text), 0, 0, true);
    expect(rows).toEqual([
      { line: 0, cells: ["a", "b", "c"], quoted: [false, false, false] },
      { line: 1, cells: ["x, y", 'say "hi"', "two\nlines"], quoted: [true, true, true] },
      { line: 4, cells: ["1", "", "3"], quoted: [false, false, false] },
    ]);
  });

  it("the same JSON lines and line numbers whatever the chunks the input arrives in (every size from 1 byte)", async () => {
    const text =
      "eventId,modelId,modelVersion,timestamp,features.note,features.x\r\n" +
      'e1,m,v1,1000,"a ""quoted"", multi\nline note",1.5\r\n' +
      "e2,m,v1,2000,plain,\n" +
      'e3,m,v1,3000,"ü€",-2e-3';
    const whole = await linesOf(text, text.length);
    expect(whole).toEqual([
      {
        line: 1,
        json: '{"eventId":"e1","modelId":"m","modelVersion":"v1","timestamp":1000,"features":{"note":"a \\"quoted\\", multi\\nline note","x":1.5}}',
      },
      { line: 3, json: '{"eventId":"e2","modelId":"m","modelVersion":"v1","timestamp":2000,"features":{"note":"plain","x":null}}' },
      { line: 4, json: '{"eventId":"e3","modelId":"m","modelVersion":"v1","timestamp":3000,"features":{"note":"ü€","x":-2e-3}}' },
    ]);
    for (let size = 1; size < Buffer.byteLength(text); size++) expect(await linesOf(text, size), `chunks of ${size}`).toEqual(whole);
  });

  it("an unclosed quote and a character after a closing quote are errors naming the line", () => {
    expect(() => parseCsvRows(Buffer.from('a,b\n1,"open\n2,3\n'), 0, 0, true)).toThrow(
      "line 2: a quoted cell is not closed before the end of the input",
    );
    expect(() => parseCsvRows(Buffer.from('a,b\n"1"x,2\n'), 0, 0, true)).toThrow("line 2: a character after the closing quote of cell 1");
  });

  it("is recognised by a header that names modelId, quoted or not, separated by commas, semicolons or tabs; not by a JSON line", () => {
    expect(csvHeaderSeparator("eventId,modelId,modelVersion,timestamp")).toBe(",");
    expect(csvHeaderSeparator('\uFEFF"eventId","modelId","timestamp"')).toBe(",");
    expect(csvHeaderSeparator("eventId;modelId;modelVersion;timestamp")).toBe(";");
    expect(csvHeaderSeparator("eventId\tmodelId\tmodelVersion\ttimestamp")).toBe("\t");
    expect(csvHeaderSeparator('{"eventId":"e","modelId":"m"}')).toBeUndefined();
    expect(csvHeaderSeparator("id,model,version")).toBeUndefined();
  });

  it("a semicolon or tab separated input reads as the comma separated one, commas inside cells kept", () => {
    const text = 'a;b;c\n"x; y";1,5;z\n';
    expect(parseCsvRows(Buffer.from(text), 0, 0, true, ";").rows[1]).toEqual({
      line: 1,
      cells: ["x; y", "1,5", "z"],
      quoted: [true, false, false],
    });
    expect(parseCsvRows(Buffer.from("a\tb\n1\t2\n"), 0, 0, true, "\t").rows[1].cells).toEqual(["1", "2"]);
  });
});

describe("the header", () => {
  it("names fields of the contract, features.<name> and attributes.<name>", () => {
    const columns = csvColumns(row(["eventId", "modelId", "modelVersion", "timestamp", "features.a.b", "attributes.region"]), "prediction");
    expect(columns.map((c) => [c.kind, c.key])).toEqual([
      ["field", '"eventId":'],
      ["field", '"modelId":'],
      ["field", '"modelVersion":'],
      ["field", '"timestamp":'],
      ["feature", '"a.b":'],
      ["attribute", '"region":'],
    ]);
  });

  it("is refused with what is wrong: pandas' unnamed index, an unknown or repeated column, a missing required one", () => {
    const refused = (cells: string[], contract: "prediction" | "outcome" = "prediction") => {
      try {
        csvColumns(row(cells, undefined, 0), contract);
      } catch (err) {
        expect(err).toBeInstanceOf(CsvInputError);
        return (err as Error).message;
      }
      throw new Error("accepted");
    };
    expect(refused(["", "eventId", "modelId", "modelVersion", "timestamp"])).toBe(
      "the header's column 1 has no name (pandas writes its index so: to_csv(index=False))",
    );
    expect(refused(["eventId", "modelId", "modelVersion", "timestamp", "amount"])).toBe(
      "the header's column amount is not a field of PredictionEvent (columns: eventId, modelId, modelVersion, timestamp, prediction, " +
        "predictedClass, confidence, latencyMs, features.<name> or attributes.<name>)",
    );
    expect(refused(["eventId", "modelId", "modelId", "timestamp"])).toBe("the header names column modelId twice");
    expect(refused(["eventId", "modelId", "prediction"])).toBe("the header lacks the columns modelVersion, timestamp");
    expect(refused(["eventId", "modelId", "timestamp", "features.x"], "outcome")).toMatch(
      /^the header's column features.x is not a field of OutcomeEvent/,
    );
  });
});

describe("a row as the JSON line of its event", () => {
  const columns = csvColumns(
    row([
      "eventId",
      "modelId",
      "modelVersion",
      "timestamp",
      "prediction",
      "confidence",
      "features.code",
      "features.flag",
      "features.v",
      "attributes.r",
    ]),
    "prediction",
  );
  const json = (cells: string[], quoted?: boolean[]) => csvRowJson(columns, row(cells, quoted));

  it("types cells by field; a feature by how it reads: a quoted cell or a leading zero stays a string, True is a boolean, empty is missing", () => {
    expect(
      json(
        ["007", "m", "1", "1700000000000", "0.25", "", '"01"', "True", "3", ""],
        [false, false, false, false, false, false, true, false, false, false],
      ),
    ).toBe(
      '{"eventId":"007","modelId":"m","modelVersion":"1","timestamp":1700000000000,"prediction":0.25,"features":{"code":"\\"01\\"","flag":true,"v":3}}',
    );
    expect(json(["e", "m", "v", "1", "1", "1", "01", "false", "", "EU"])).toBe(
      '{"eventId":"e","modelId":"m","modelVersion":"v","timestamp":1,"prediction":1,"confidence":1,"features":{"code":"01","flag":false,"v":null},"attributes":{"r":"EU"}}',
    );
  });

  it("writes a date-time joined by a space (pandas' to_csv) with a T, and non-finite numbers as the tokens the decoder names", () => {
    expect(json(["e", "m", "v", "1996-05-07 00:30:00+00:00", "nan", "-inf", "x", "y", "inf", ""])).toBe(
      '{"eventId":"e","modelId":"m","modelVersion":"v","timestamp":"1996-05-07T00:30:00+00:00","prediction":NaN,"confidence":-Infinity,"features":{"code":"x","flag":"y","v":Infinity}}',
    );
  });

  it("in a semicolon-separated file a decimal comma is the decimal mark, in numbers and features, not in strings, quoted cells or attributes", () => {
    const cells = ["e", "m", "v", "1", "0,25", "-1,5e3", '"3,5"', "2,0", "x,y", "1,5"];
    const quoted = [false, false, false, false, false, false, true, false, false, false];
    expect(csvRowJson(columns, row(cells, quoted), true)).toBe(
      '{"eventId":"e","modelId":"m","modelVersion":"v","timestamp":1,"prediction":0.25,"confidence":-1.5e3,' +
        '"features":{"code":"\\"3,5\\"","flag":2.0,"v":"x,y"},"attributes":{"r":"1,5"}}',
    );
    expect(csvRowJson(columns, row(cells, quoted))).toContain('"prediction":"0,25"');
  });

  it("a row with more or fewer cells than the header is an error naming its line", () => {
    expect(() => json(["e", "m", "v"])).toThrow("line 2: the row has 3 cells, the header 10");
  });
});

describe("replay of CSV", () => {
  const config = resolveConfig({ defaults: { window: { maxEvents: 200, minEvents: 50 }, baseline: { warmupWindows: 3 } } });
  const events = [...predictionStream(200 * 12, { seed: 21, shiftSigma: (i) => (i >= 200 * 6 ? 1 : 0) })];
  const replay = async (input: string, strict = false) => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on("data", (c: Buffer) => chunks.push(c));
    const summary = await runReplay({ input, config, strict, stdin: new PassThrough(), stdout });
    const outputs = Buffer.concat(chunks).toString("utf8").split("\n").filter(Boolean);
    return { summary, outputs };
  };
  const features = [...new Set(events.flatMap((e) => Object.keys(e.features ?? {})))];
  const fields = ["eventId", "modelId", "modelVersion", "timestamp", "prediction", "predictedClass", "confidence", "latencyMs"] as const;
  const header = [...fields, ...features.map((f) => `features.${f}`)];
  const csvLine = (e: (typeof events)[number]) =>
    [...fields.map((f) => String(e[f] ?? "")), ...features.map((f) => String(e.features?.[f] ?? ""))].join(",");

  it("detects what the JSON lines of the same events show, with offsets the CSV's line numbers", async () => {
    const jsonl = await replay(write("shifted.jsonl", events.map((e) => JSON.stringify(e)).join("\n") + "\n"));
    const csv = await replay(write("shifted.csv", [header.join(","), ...events.map(csvLine)].join("\n") + "\n"));
    expect(csv.summary).toMatchObject({ linesRead: 2401, accepted: 2400, rejected: {}, windowsClosed: 12 });
    expect(csv.summary.driftEvents).toBe(jsonl.summary.driftEvents);
    const shift = (line: string) =>
      JSON.parse(line, (k, v: unknown) => (k.endsWith("Offset") && typeof v === "string" ? String(Number(v) - 1) : v)) as unknown;
    expect(csv.outputs.map(shift)).toEqual(jsonl.outputs.map((l) => JSON.parse(l) as unknown));
    expect((JSON.parse(csv.outputs[0]) as DriftEvent).window.firstOffset).toBe("1401");
  });

  it("--reference from CSV builds the baselines the JSON lines of the same events build", async () => {
    const reference = events.slice(0, 1000);
    // the same file name (a baseline's id names its file), JSON lines in one folder and CSV in the other
    const [jsonDir, csvDir] = [mkdtempSync(join(dir, "json-")), mkdtempSync(join(dir, "csv-"))];
    writeFileSync(join(jsonDir, "reference"), reference.map((e) => JSON.stringify(e)).join("\n") + "\n");
    writeFileSync(join(csvDir, "reference"), [header.join(","), ...reference.map(csvLine)].join("\n") + "\n");
    const fromJson = await referencesFromFile(join(jsonDir, "reference"), config, new PassThrough());
    const fromCsv = await referencesFromFile(join(csvDir, "reference"), config, new PassThrough());
    expect(fromJson.size).toBe(1);
    expect(fromCsv).toEqual(fromJson);
  });

  it("rejects a row's bad value by field with the file's line; --strict stops there", async () => {
    const lines = [header.join(","), ...events.slice(0, 300).map(csvLine)];
    lines[5] = lines[5].replace(/^([^,]*,[^,]*,[^,]*,[^,]*,)[^,]*/, "$1inf");
    lines[9] = lines[9].replace(/^([^,]*,[^,]*,[^,]*,)[^,]*/, "$1yesterday");
    const path = write("bad-values.csv", lines.join("\n") + "\n");
    const { summary } = await replay(path);
    expect(summary.accepted).toBe(298);
    expect(summary.rejected).toEqual({
      non_finite_number: { count: 1, firstLines: [6] },
      schema_violation: { count: 1, firstLines: [10] },
    });
    await expect(replay(path, true)).rejects.toThrow(/^.*bad-values\.csv: line 6: non_finite_number: .*prediction/);
  });

  it("a row that is not CSV stops the replay with the line", async () => {
    const lines = [header.join(","), ...events.slice(0, 10).map(csvLine), "e,m,v"];
    await expect(replay(write("short-row.csv", lines.join("\n") + "\n"))).rejects.toThrow(
      /^cannot read CSV input .*short-row\.csv: line 12: the row has 3 cells, the header \d+$/,
    );
  });
});
