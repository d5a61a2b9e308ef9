// The prediction scanner (src/events/json-prediction-scanner.ts) is the JSON hot path: it must accept only
// what the general path (JSON.parse + the compiled .avsc check) accepts, and give the very same event. Held
// against the general path on every line of the bundled streams, on the valid and invalid fixtures, and on
// thousands of value- and byte-level mutations.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import {
  decodeJsonPrediction,
  decodeJsonPredictionGeneral,
  decodePredictionMessage,
  decodePredictionMessageIn,
} from "../../../src/events/codec.ts";
import { predictionScanLimits, scanJsonPrediction } from "../../../src/events/json-prediction-scanner.ts";
import { loadAvroSchema } from "../../../src/events/schema-files.ts";
import { mutate, type Json } from "../../support/json-mutations.ts";
import { seededRandom, type Random } from "../../support/random.ts";
import { invalidFixtures, validFixtures, withIsoTimestampNormalised } from "./contract-validators.ts";

const encoder = new TextEncoder();
const limits = predictionScanLimits(loadAvroSchema("prediction-event"))!;

/** Same decode result from both paths (Object.is on numbers, the same key order); and whether the scanner took it. */
function compare(bytes: Uint8Array): { same: boolean; scanned: boolean } {
  const fast = decodeJsonPrediction(bytes);
  const general = decodeJsonPredictionGeneral(bytes);
  const same = isDeepStrictEqual(fast, general) && JSON.stringify(fast) === JSON.stringify(general);
  const start = bytes[0] === 0xef ? 3 : 0;
  return { same, scanned: scanJsonPrediction(bytes, start, limits) !== undefined };
}

function lines(file: string): Uint8Array[] {
  const url = new URL(`../../fixtures/${file}`, import.meta.url);
  const raw = readFileSync(url);
  const text = file.endsWith(".gz") ? gunzipSync(raw) : raw;
  const out: Uint8Array[] = [];
  let from = 0;
  for (let nl = text.indexOf(10); nl >= 0; from = nl + 1, nl = text.indexOf(10, from)) if (nl > from) out.push(text.subarray(from, nl));
  return out;
}

/** One byte-level change to JSON text: whitespace, a stray or structural character, an escape, a deletion, a duplicate. */
function mutateText(text: string, random: Random): string {
  const at = random.int(text.length + 1);
  const pieces = [" ", "\t", "\r\n", '"', "\\", "\\n", "\\u0041", "{", "}", ",", ":", "0", "-", "e", ".", "é", "\u0001", "x", "[", "]"];
  switch (random.int(4)) {
    case 0:
      return text.slice(0, at) + pieces[random.int(pieces.length)] + text.slice(at);
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + random.int(3));
    case 2:
      return text.slice(0, at) + pieces[random.int(pieces.length)] + text.slice(at + 1);
    default: {
      // a field twice: JSON.parse keeps the last, so the general path decides
      const key = ['"eventId":"dup"', '"timestamp":5', '"confidence":0.5', '"features":null', '"modelId":"m"'][random.int(5)];
      return `{${key},${text.slice(1)}`;
    }
  }
}

describe("the prediction scanner takes what the general path takes, and gives the same event", () => {
  for (const file of [
    "demo/predictions.jsonl",
    "realdata/weather-ordered.jsonl.gz",
    "realdata/elec-ordered.jsonl.gz",
    "realdata/weather-shift.jsonl.gz",
  ]) {
    it(`on every line of ${file}, and scans every one of them`, () => {
      const all = lines(file);
      const differing: number[] = [];
      let scanned = 0;
      all.forEach((bytes, i) => {
        const r = compare(bytes);
        if (!r.same) differing.push(i + 1);
        if (r.scanned) scanned++;
      });
      expect(differing).toEqual([]);
      expect(scanned).toBe(all.length);
    });
  }

  it("on the valid and invalid prediction fixtures: accepts the valid, leaves every invalid one to the general path", () => {
    for (const f of validFixtures().filter((x) => x.contract === "prediction-event")) {
      const bytes = encoder.encode(JSON.stringify(f.value));
      expect(compare(bytes).same, f.file).toBe(true);
      expect(decodeJsonPrediction(bytes).ok, f.file).toBe(true);
    }
    for (const f of invalidFixtures().filter((x) => x.contract === "prediction-event")) {
      const bytes = encoder.encode(JSON.stringify(f.value));
      expect({ file: f.file, ...compare(bytes) }).toEqual({ file: f.file, same: true, scanned: false });
    }
  });

  it("on 6 000 value mutations and 6 000 byte mutations of valid predictions", () => {
    const random = seededRandom(424242);
    const valid = validFixtures()
      .filter((x) => x.contract === "prediction-event")
      .map((f) => withIsoTimestampNormalised(f.value) as Json);
    const demo = lines("demo/predictions.jsonl").slice(0, 200);
    const differing: string[] = [];
    let scanned = 0;
    let rejected = 0;
    for (let i = 0; i < 6000; i++) {
      let value = mutate(valid[random.int(valid.length)], random);
      if (random.uniform() < 0.3) value = mutate(value, random);
      const text = JSON.stringify(value);
      const r = compare(encoder.encode(text));
      if (!r.same) differing.push(text);
      if (r.scanned) scanned++;
      if (!decodeJsonPredictionGeneral(encoder.encode(text)).ok) rejected++;
    }
    for (let i = 0; i < 6000; i++) {
      let text = new TextDecoder().decode(demo[random.int(demo.length)]);
      text = mutateText(text, random);
      if (random.uniform() < 0.3) text = mutateText(text, random);
      const r = compare(encoder.encode(text));
      if (!r.same) differing.push(text);
      if (r.scanned) scanned++;
      if (!decodeJsonPredictionGeneral(encoder.encode(text)).ok) rejected++;
    }
    expect(differing).toEqual([]);
    // both answers are reached (7 071 rejected of 12 000), and the scanner takes over half of what is valid
    // (2 682 of 4 929: the rest has an escape, non-ASCII, a repeated field or an array in an unknown field)
    expect(rejected).toBeGreaterThan(3000);
    expect(rejected).toBeLessThan(9000);
    expect(scanned / (12000 - rejected)).toBeGreaterThan(0.5);
  });

  it("decodes a line where it lies in a buffer of lines as it decodes a copy of the line: truncated, mutated, CRLF", () => {
    // bytes after a line (the next lines of a read chunk) must never be taken into it: a truncated line
    // followed by a whole one is the case that would join them
    const random = seededRandom(777);
    const demo = lines("demo/predictions.jsonl").slice(0, 200);
    const texts: string[] = [];
    const whole: boolean[] = [];
    for (let i = 0; i < 3000; i++) {
      const line = new TextDecoder().decode(demo[random.int(demo.length)]);
      const kind = random.int(4);
      let text = line;
      if (kind === 0) text = line.slice(0, random.int(line.length));
      else if (kind === 1) text = mutateText(line, random).replaceAll("\n", "");
      else if (kind === 2) text = `${line}${[" ", "\t", "  "][random.int(3)]}`;
      texts.push(text);
      whole.push(kind >= 2);
    }
    const separators = texts.map(() => (random.uniform() < 0.2 ? "\r\n" : "\n"));
    const buffer = encoder.encode(texts.map((t, i) => t + separators[i]).join(""));
    const ctx = { schemaForId: () => undefined, maxMessageBytes: 1 << 20 };
    const differing: number[] = [];
    const notScanned: number[] = [];
    let accepted = 0;
    let start = 0;
    texts.forEach((_, i) => {
      const end = buffer.indexOf(0x0a, start) - (separators[i] === "\r\n" ? 1 : 0);
      const inPlace = decodePredictionMessageIn(buffer, start, end, ctx);
      const alone = decodePredictionMessage(buffer.slice(start, end), ctx);
      if (!isDeepStrictEqual(inPlace, alone) || JSON.stringify(inPlace) !== JSON.stringify(alone)) differing.push(i + 1);
      if (inPlace.ok) accepted++;
      // a whole line is taken by the scanner where it lies, trailing whitespace and CRLF included
      if (whole[i] && scanJsonPrediction(buffer, start, limits, end) === undefined) notScanned.push(i + 1);
      start = end + separators[i].length;
    });
    expect(differing).toEqual([]);
    expect(notScanned).toEqual([]);
    // about half are whole lines (plain or with trailing whitespace) and decode; the truncated ones do not
    expect(accepted).toBeGreaterThan(1200);
    expect(accepted).toBeLessThan(2400);
  });

  it("leaves an ISO timestamp, a BOM-less escape and a repeated field to the general path, which still decodes them", () => {
    for (const text of [
      '{"eventId":"e","modelId":"m","modelVersion":"v","timestamp":"2026-01-01T00:00:00Z"}',
      '{"eventId":"\\u0065","modelId":"m","modelVersion":"v","timestamp":1}',
      '{"eventId":"e","modelId":"m","modelVersion":"v","timestamp":1,"timestamp":2}',
      '{"eventId":"é","modelId":"m","modelVersion":"v","timestamp":1}',
    ]) {
      const bytes = encoder.encode(text);
      expect(scanJsonPrediction(bytes, 0, limits), text).toBeUndefined();
      expect(decodeJsonPrediction(bytes).ok, text).toBe(true);
    }
  });
});

describe("predictionScanLimits reads its limits from the .avsc", () => {
  it("from the committed schema: the lengths, pattern, ranges and map bounds it holds", () => {
    expect(limits).toMatchObject({
      eventId: { min: 1, max: 128 },
      modelId: { min: 0, pattern: /^[A-Za-z0-9._-]{1,64}$/u },
      modelVersion: { min: 1, max: 64 },
      predictedClass: { max: 256 },
      confidence: { min: 0, max: 1 },
      latencyMs: { min: 0, max: Infinity },
      features: { values: "scalar", maxStringLength: 1024, maxEntries: 1000, keyMinLength: 1, keyMaxLength: 128 },
      attributes: { values: "string", maxStringLength: 128, maxEntries: 32, keyMinLength: 1, keyMaxLength: 128 },
    });
  });

  it("gives none (every message takes the general path) for a schema with a field, type or constraint it does not check", () => {
    const schema = loadAvroSchema("prediction-event") as { fields: Json[] };
    const changed = (edit: (fields: Json[]) => Json[]) => predictionScanLimits({ ...schema, fields: edit(structuredClone(schema.fields)) });
    expect(changed((f) => [...f, { name: "extra", type: ["null", "string"], default: null }])).toBeUndefined();
    expect(changed((f) => f.map((x) => (x.name === "eventId" ? { ...x, type: { type: "string", pattern: "^a" } } : x)))).toBeUndefined();
    expect(
      changed((f) => f.map((x) => (x.name === "latencyMs" ? { ...x, type: ["null", { type: "double", multipleOf: 1 }] } : x))),
    ).toBeUndefined();
    expect(changed((f) => f.map((x) => (x.name === "timestamp" ? { ...x, type: "int" } : x)))).toBeUndefined();
    // an optional field made required
    expect(changed((f) => f.map((x) => (x.name === "prediction" ? { name: x.name, type: x.type } : x)))).toBeUndefined();
    expect(changed((f) => f)).toBeDefined();
  });
});
