// The JSON scanner (src/events/json-scanner.ts) gives exactly JSON.parse's value — same numbers to the bit,
// same key order — or undefined, never something else: on generated objects, on number spellings of random
// doubles, and on inputs the general path must take.
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { scanJsonObject } from "../../../src/events/json-scanner.ts";
import { seededRandom, type Random } from "../../support/random.ts";

const encoder = new TextEncoder();
const scan = (text: string) => scanJsonObject(encoder.encode(text), 0);

/** Same value (Object.is on every number: -0 counts) and the same key order. */
function sameAsParse(text: string): boolean {
  const scanned = scan(text);
  const parsed: unknown = JSON.parse(text);
  return isDeepStrictEqual(scanned, parsed) && JSON.stringify(scanned) === JSON.stringify(parsed);
}

function randomDouble(random: Random): number {
  switch (random.int(5)) {
    case 0:
      return random.int(2 ** 31) - 2 ** 30;
    case 1:
      return Math.round(random.normal(0, 1000) * 10 ** random.int(5)) / 10 ** random.int(7);
    case 2:
      return random.normal(0, 1) * 10 ** (random.int(40) - 20);
    case 3:
      return random.normal(0, 1) * 10 ** (random.int(600) - 300);
    default: {
      // any bit pattern that is a finite double
      const bits = new DataView(new ArrayBuffer(8));
      bits.setUint32(0, Math.floor(random.uniform() * 2 ** 32));
      bits.setUint32(4, Math.floor(random.uniform() * 2 ** 32));
      const v = bits.getFloat64(0);
      return Number.isFinite(v) ? v : 0.5;
    }
  }
}

function randomKey(random: Random): string {
  const keys = ["amount", "age", "a", "", "1", "10", "01", "x y", "k-9", "z", "country", "__proto_", "constructor", "toString"];
  return keys[random.int(keys.length)];
}

function randomValue(random: Random, depth: number): unknown {
  switch (random.int(depth > 2 ? 5 : 6)) {
    case 0:
      return randomDouble(random);
    case 1:
      return ["", "US", "app", "a b c", "x".repeat(60), "{}[],:"][random.int(6)];
    case 2:
      return random.uniform() < 0.5;
    case 3:
      return null;
    case 4:
      return random.int(1000);
    default:
      return randomObject(random, depth + 1);
  }
}

function randomObject(random: Random, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = random.int(8);
  for (let i = 0; i < n; i++) out[randomKey(random)] = randomValue(random, depth);
  return out;
}

/** JSON text of `value` with random whitespace between tokens (what JSON.stringify's indent gives, and tabs, CRs). */
function spaced(value: unknown, random: Random): string {
  const indent = ["", " ", "\t", "  "][random.int(4)];
  const text = JSON.stringify(value, null, indent);
  return random.uniform() < 0.3 ? `${text}\r\n ` : text;
}

describe("scanJsonObject reads what JSON.parse reads", () => {
  it("on 5 000 generated objects, whitespace and nesting included, each read twice (cold and cached)", () => {
    const random = seededRandom(20261201);
    const differing: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const text = spaced(randomObject(random), random);
      if (!sameAsParse(text) || !sameAsParse(text)) differing.push(text);
    }
    expect(differing).toEqual([]);
  });

  it("on 20 000 random doubles in every spelling JSON allows, to the bit", () => {
    const random = seededRandom(7);
    const differing: string[] = [];
    for (let i = 0; i < 20000; i++) {
      const v = randomDouble(random);
      const spellings = [String(v), v.toExponential(), v.toExponential(random.int(20)), v.toPrecision(1 + random.int(21))];
      if (Math.abs(v) < 1e21) spellings.push(v.toFixed(random.int(20)));
      for (const s of spellings) {
        for (const text of [`{"x":${s}}`, `{"x":${s.replace("e", "E")}}`, `{"x":${s.replace("e+", "e")}}`]) {
          if (!Object.is(scan(text)?.x, (JSON.parse(text) as { x: number }).x)) differing.push(text);
        }
      }
    }
    expect(differing).toEqual([]);
  });

  it("on the edges of the exact path: 2^53, 22 powers of ten, -0, long mantissas and exponents", () => {
    const numbers = [
      "0",
      "-0",
      "-0.0",
      "0e5",
      "0.000",
      "9007199254740991",
      "9007199254740992",
      "9007199254740993",
      "18014398509481985",
      "1e22",
      "1e23",
      "1e-22",
      "1e-23",
      "123456789012345678901234567890",
      "0.1",
      "0.30000000000000004",
      "2.2250738585072011e-308",
      "4.9e-324",
      "1.7976931348623157e308",
      "1.0000000000000002",
      "5e-324",
      "1E0",
      "1e+0",
      "-1234.5678e-2",
      "0.00000000000000000000000000001",
      "1" + "0".repeat(300),
      "12345678901234567e-5",
    ];
    for (const n of numbers) expect(Object.is(scan(`{"x":${n}}`)?.x, JSON.parse(`{"x":${n}}`).x), n).toBe(true);
  });

  it("keeps JSON.parse's key order (integer-like keys first) and the last of duplicate keys", () => {
    for (const text of ['{"b":1,"a":2,"10":3,"2":4}', '{"a":1,"b":2,"a":3}', '{"x":{"b":1,"a":{"c":2,"c":3}}}', "{}", '{"e":{}}'])
      expect(sameAsParse(text), text).toBe(true);
  });

  it("leaves to the general path escapes, non-ASCII, arrays, __proto__, overflow and anything invalid", () => {
    const general = [
      '{"a":"x\\"y"}',
      '{"a":"\\u0041"}',
      '{"a\\n":1}',
      '{"a":"é"}',
      '{"é":1}',
      '{"a":[1]}',
      '{"__proto__":{"x":1}}',
      '{"a":1e400}',
      '{"a":-1e999}',
      '{"a":"\u0001"}',
      '{"a":"\u007f"}',
      '{"a":1,}',
      '{"a" 1}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":.5}',
      '{"a":+1}',
      '{"a":1e}',
      '{"a":-}',
      '{"a":tru}',
      '{"a":nul}',
      '{"a":falsey}',
      '{"a":1}x',
      '{"a":1}}',
      '{"a":1',
      '{"a',
      "{",
      '{"a":1 "b":2}',
      `${"{".repeat(40)}${"}".repeat(40)}`,
      '{"a":NaN}',
      "{'a':1}",
    ];
    for (const text of general) expect(scan(text), text).toBeUndefined();
  });

  it("starts where it is told: after a BOM and leading whitespace", () => {
    const bytes = encoder.encode('\ufeff \n{"a": 1}');
    expect(scanJsonObject(bytes, 5)).toEqual({ a: 1 });
    expect(scanJsonObject(bytes, 0)).toBeUndefined();
  });
});
