// Every t-digest format version the code reads is pinned by committed golden bytes
// (test/fixtures/sketch/tdigest-v<N>-<case>.bin, written by the encoder of that version, with the decoded
// contents as JSON): they must keep decoding to the same digest, and the current version must re-encode them
// byte for byte.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeTDigest, encodeTDigest, TDIGEST_FORMAT_VERSION } from "../../../src/sketch/tdigest-format.ts";
import { atomGoldenCases, digestContents, goldenCases } from "../../fixtures/sketch/golden-cases.ts";

const dir = new URL("../../fixtures/sketch/", import.meta.url);
const golden = readdirSync(dir)
  .filter((f) => f.endsWith(".bin"))
  .map((f) => {
    const [, version, name] = /^tdigest-v(\d+)-(.+)\.bin$/.exec(f) ?? [];
    return { file: f, version: Number(version), name };
  });

describe("t-digest golden bytes", () => {
  it("pins the current format (4, with atoms) and format 3 (the state stored by 0.1.0) for every golden case", () => {
    const names = (version: number) =>
      golden
        .filter((g) => g.version === version)
        .map((g) => g.name)
        .sort();
    expect(names(3)).toEqual(Object.keys(goldenCases).sort());
    expect(names(TDIGEST_FORMAT_VERSION)).toEqual(Object.keys({ ...goldenCases, ...atomGoldenCases }).sort());
  });

  for (const g of golden) {
    it(`${g.file} decodes to its recorded contents`, () => {
      const bytes = new Uint8Array(readFileSync(new URL(g.file, dir)));
      expect(bytes[0]).toBe(g.version);
      const want = JSON.parse(readFileSync(new URL(g.file.replace(/\.bin$/, ".json"), dir), "utf8")) as unknown;
      expect(digestContents(decodeTDigest(bytes))).toEqual(want);
    });
  }

  it("the current encoder writes the golden bytes of the current format from the same seeded data", () => {
    for (const [name, make] of Object.entries({ ...goldenCases, ...atomGoldenCases })) {
      const want = new Uint8Array(readFileSync(new URL(`tdigest-v${TDIGEST_FORMAT_VERSION}-${name}.bin`, dir)));
      expect(Buffer.from(encodeTDigest(make())).equals(Buffer.from(want)), name).toBe(true);
    }
  });

  it("a digest decoded from older golden bytes re-encodes in the current format to the same contents", () => {
    for (const g of golden) {
      const d = decodeTDigest(new Uint8Array(readFileSync(new URL(g.file, dir))));
      const again = encodeTDigest(d);
      expect(again[0]).toBe(TDIGEST_FORMAT_VERSION);
      expect(digestContents(decodeTDigest(again))).toEqual(digestContents(d));
    }
  });
});
