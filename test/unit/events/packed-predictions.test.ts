// Packed decode results (src/events/packed-predictions.ts) are what replay's decoding thread hands over: the
// unpacked result must be the decoded one, field for field, key for key and byte for byte, on every line of the
// bundled streams, on the contract fixtures, on thousands of mutations (accepted and rejected alike), and past
// the bounds of the string and key-sequence tables.
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodePredictionMessage, type DecodeContext } from "../../../src/events/codec.ts";
import type { DecodeResult } from "../../../src/events/decode-result.ts";
import { PackError, PredictionPacker, PredictionUnpacker } from "../../../src/events/packed-predictions.ts";
import type { PredictionEvent } from "../../../src/events/types.ts";
import { mutate, type Json } from "../../support/json-mutations.ts";
import { seededRandom } from "../../support/random.ts";
import { invalidFixtures, validFixtures, withIsoTimestampNormalised } from "./contract-validators.ts";

const encoder = new TextEncoder();
const ctx: DecodeContext = { schemaForId: () => undefined, maxMessageBytes: 1 << 20 };

function lines(file: string): Uint8Array[] {
  const raw = readFileSync(new URL(`../../fixtures/${file}`, import.meta.url));
  const text = file.endsWith(".gz") ? gunzipSync(raw) : raw;
  const out: Uint8Array[] = [];
  let from = 0;
  for (let nl = text.indexOf(10); nl >= 0; from = nl + 1, nl = text.indexOf(10, from)) if (nl > from) out.push(text.subarray(from, nl));
  return out;
}

interface Line {
  result: DecodeResult<PredictionEvent>;
  value: Uint8Array;
}

/**
 * Packs `all` in takes of `perTake` lines through one packer and unpacks them through one unpacker, as the
 * threads do; returns the line indexes whose unpacked result or rejected bytes differ from what was packed.
 */
function roundTrip(all: Line[], perTake = 1000): number[] {
  const packer = new PredictionPacker();
  const unpacker = new PredictionUnpacker();
  const differing: number[] = [];
  for (let from = 0; from < all.length; from += perTake) {
    const part = all.slice(from, from + perTake);
    part.forEach((line, i) => packer.add(from + i, line.result, line.result.ok ? undefined : line.value));
    const packed = structuredClone(packer.take());
    expect(Array.from(packed.lineNumbers)).toEqual(part.map((_, i) => from + i));
    unpacker.load(packed);
    part.forEach((line, i) => {
      const got = unpacker.next();
      const same =
        isDeepStrictEqual(got, line.result) &&
        JSON.stringify(got) === JSON.stringify(line.result) &&
        (line.result.ok || Buffer.from(unpacker.lastRejectedValue).equals(line.value));
      if (!same) differing.push(from + i);
    });
  }
  return differing;
}

const decoded = (value: Uint8Array): Line => ({ result: decodePredictionMessage(value, ctx), value });
const decodedText = (text: string): Line => decoded(encoder.encode(text));

describe("a packed decode result unpacks to the very result packed", () => {
  for (const file of ["demo/predictions.jsonl", "realdata/weather-ordered.jsonl.gz", "realdata/elec-ordered.jsonl.gz"]) {
    it(`on every line of ${file}`, () => {
      const all = lines(file).map(decoded);
      expect(all.every((l) => l.result.ok)).toBe(true);
      expect(roundTrip(all)).toEqual([]);
    });
  }

  it("on the valid and invalid prediction fixtures (the invalid ones with their reason, message, field and bytes)", () => {
    const all = [...validFixtures(), ...invalidFixtures()]
      .filter((f) => f.contract === "prediction-event")
      .map((f) => decodedText(JSON.stringify(f.value)));
    expect(all.filter((l) => l.result.ok).length).toBeGreaterThan(5);
    expect(all.filter((l) => !l.result.ok).length).toBeGreaterThan(5);
    expect(roundTrip(all, 7)).toEqual([]);
  });

  it("on 5 000 mutations of valid predictions, accepted and rejected", () => {
    const random = seededRandom(9001);
    const valid = validFixtures()
      .filter((x) => x.contract === "prediction-event")
      .map((f) => withIsoTimestampNormalised(f.value) as Json);
    const all: Line[] = [];
    for (let i = 0; i < 5000; i++) all.push(decodedText(JSON.stringify(mutate(valid[random.int(valid.length)], random))));
    const rejected = all.filter((l) => !l.result.ok).length;
    expect(rejected).toBeGreaterThan(1000);
    expect(rejected).toBeLessThan(4000);
    expect(roundTrip(all, 333)).toEqual([]);
  });

  it("on events that are not JSON-scanned: Avro and Protobuf formats, numeric and GUID schema ids, a __proto__ feature", () => {
    const event = (i: number, features: Record<string, number | string | boolean | null>): PredictionEvent =>
      ({ eventId: `e${i}`, modelId: "m", modelVersion: "v", timestamp: i, features }) as PredictionEvent;
    const own = JSON.parse('{"__proto__": 1, "b": "x"}') as Record<string, number | string>;
    const all: Line[] = [
      { result: { ok: true, event: event(1, { a: 1.5, b: true, c: null, d: -0 }), format: "avro", schemaId: 7 }, value: new Uint8Array(0) },
      {
        result: { ok: true, event: event(2, { a: false }), format: "protobuf", schemaId: "b6a4c0a2-1f1e-4b8e-9b0e-2a8f1c3d4e5f" },
        value: new Uint8Array(0),
      },
      { result: { ok: true, event: event(3, own), format: "json" }, value: new Uint8Array(0) },
    ];
    expect(roundTrip(all)).toEqual([]);
    const unpacker = new PredictionUnpacker();
    const packer = new PredictionPacker();
    packer.add(0, all[2].result);
    unpacker.load(packer.take());
    const features = (unpacker.next() as { event: PredictionEvent }).event.features!;
    expect(Object.getPrototypeOf(features)).toBe(Object.prototype);
    expect(Object.keys(features)).toEqual(["__proto__", "b"]);
  });

  it("past the tables' bounds: 70 000 distinct categories and 5 000 distinct key sequences go inline, equal all the same", () => {
    const all: Line[] = [];
    for (let i = 0; i < 70_000; i++)
      all.push(decodedText(`{"eventId":"e${i}","modelId":"m","modelVersion":"v","timestamp":${i},"features":{"c":"v${i}"}}`));
    for (let i = 0; i < 5_000; i++)
      all.push(
        decodedText(`{"eventId":"k${i}","modelId":"m","modelVersion":"v","timestamp":${i},"features":{"f${i}":${i},"g":"v${i % 3}"}}`),
      );
    expect(roundTrip(all, 4096)).toEqual([]);
  });

  it("refuses a feature that is no scalar, naming it (no decoder gives one)", () => {
    const packer = new PredictionPacker();
    const event = { eventId: "e", modelId: "m", modelVersion: "v", timestamp: 1, features: { nested: {} } } as unknown as PredictionEvent;
    expect(() => packer.add(0, { ok: true, event, format: "json" })).toThrow(PackError);
    expect(() => packer.add(0, { ok: true, event, format: "json" })).toThrow('feature "nested" holds a value of type object, not a scalar');
  });
});
