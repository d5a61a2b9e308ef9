// The generated yes/no check (src/events/avro-fast-accept.ts) agrees with the explaining constraint check
// (avro-constraints.ts) on the valid fixtures and on thousands of seeded mutations of them: a value or a
// nested value replaced by something of another type, out of range, too long, or removed.
import { describe, expect, it } from "vitest";
import { compileAvroConstraints } from "../../../src/events/avro-constraints.ts";
import { compileFastAccept } from "../../../src/events/avro-fast-accept.ts";
import { loadAvroSchema } from "../../../src/events/schema-files.ts";
import { seededRandom } from "../../support/random.ts";
import { mutate, type Json } from "../../support/json-mutations.ts";
import { validFixtures, withIsoTimestampNormalised } from "./contract-validators.ts";

describe("the generated fast check agrees with the constraint check", () => {
  for (const fixture of validFixtures()) {
    it(`${fixture.file} and 2 000 mutations of it`, () => {
      const schema = loadAvroSchema(fixture.contract);
      const accept = compileFastAccept(schema);
      const explain = compileAvroConstraints(schema);
      // the JSON decoder turns an ISO timestamp into epoch millis before it validates
      const valid = withIsoTimestampNormalised(fixture.value) as Json;
      expect(accept(valid)).toBe(true);
      const random = seededRandom(fixture.file.length * 7919);
      let rejected = 0;
      for (let i = 0; i < 2000; i++) {
        let value = mutate(valid, random);
        if (random.uniform() < 0.3) value = mutate(value, random);
        const violation = explain(value);
        if (violation !== undefined) rejected++;
        expect({ value, accepted: accept(value) }).toEqual({ value, accepted: violation === undefined });
      }
      // the mutations reach both answers
      expect(rejected).toBeGreaterThan(200);
      expect(rejected).toBeLessThan(2000);
    });
  }

  it("a pattern, enum and fixed size from the schema are enforced, and nothing from it becomes code", () => {
    const schema = {
      type: "record",
      name: "T",
      fields: [
        { name: "id", type: { type: "string", pattern: '^a"\\); throw 1; \\("$' } },
        { name: "e", type: { type: "enum", name: "E", symbols: ["A", "B"] } },
        { name: "f", type: { type: "fixed", name: "F", size: 2 } },
        { name: 'q"uote', type: ["null", "int"], default: null },
      ],
    };
    const accept = compileFastAccept(schema);
    const ok = { id: 'a"); throw 1; ("', e: "A", f: new Uint8Array(2) };
    expect(accept(ok)).toBe(true);
    expect(accept({ ...ok, 'q"uote': 3 })).toBe(true);
    expect(accept({ ...ok, 'q"uote': 3.5 })).toBe(false);
    expect(accept({ ...ok, id: "b" })).toBe(false);
    expect(accept({ ...ok, e: "C" })).toBe(false);
    expect(accept({ ...ok, f: new Uint8Array(3) })).toBe(false);
  });
});
