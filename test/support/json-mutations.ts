// Seeded mutations of JSON events for the tests that hold a fast path against the general one: a (possibly
// nested) value replaced by something of another type, out of range or too long, or removed.
import type { Random } from "./random.ts";

export const REPLACEMENTS: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -0,
  -1,
  0.5,
  1,
  1.5,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  "",
  "x",
  "ok-model_1.2",
  "bad model!",
  "é".repeat(64),
  "x".repeat(65),
  "x".repeat(129),
  "x".repeat(300),
  "x".repeat(1025),
  [],
  [1, 2],
  {},
  { a: 1 },
  { "": 1 },
  new Uint8Array(3),
];

export type Json = Record<string, unknown>;

/** A copy of `value` with one (possibly nested) entry replaced or removed. */
export function mutate(value: Json, random: Random): Json {
  const copy = structuredClone(value) as Json;
  let target: Json = copy;
  for (;;) {
    const keys = Object.keys(target);
    // sometimes a key the schema does not know, or one in a nested map
    const key = keys.length === 0 || random.uniform() < 0.1 ? `extra${random.int(3)}` : keys[random.int(keys.length)];
    const inner = target[key];
    if (typeof inner === "object" && inner !== null && !Array.isArray(inner) && random.uniform() < 0.5) {
      target = inner as Json;
      continue;
    }
    const replacement = REPLACEMENTS[random.int(REPLACEMENTS.length)];
    if (replacement === undefined) delete target[key];
    else target[key] = replacement;
    return copy;
  }
}
