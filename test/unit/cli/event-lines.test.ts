import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { InputFileError, lineBytes, readLineBatches } from "../../../src/cli/event-lines.ts";

/** Feeds `text` to readLineBatches as stdin in pieces cut at `cuts`; returns the lines and the last batch's counts. */
async function readInPieces(text: string, cuts: number[]) {
  const bytes = Buffer.from(text, "utf8");
  const edges = [0, ...cuts, bytes.length];
  // object mode (Readable.from), so each piece arrives as a chunk of its own
  const stdin = Readable.from(edges.slice(1).map((end, i) => bytes.subarray(edges[i], end)));
  const lines: { line: number; text: string }[] = [];
  let lastLine = -2;
  let readBytes = -1;
  let batches = 0;
  for await (const batch of readLineBatches("-", stdin, new Map())) {
    batches++;
    expect(batch.starts.length).toBe(batch.lineNumbers.length);
    expect(batch.ends.length).toBe(batch.lineNumbers.length);
    for (let i = 0; i < batch.lineNumbers.length; i++)
      lines.push({ line: batch.lineNumbers[i], text: Buffer.from(lineBytes(batch, i)).toString("utf8") });
    lastLine = batch.lastLine;
    readBytes = batch.bytes;
  }
  expect(batches).toBeGreaterThanOrEqual(cuts.length + 1);
  return { lines, lastLine, bytes: readBytes };
}

/** What readLineBatches must find, computed by splitting the whole text at once. */
function expected(text: string) {
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  const lines = parts
    .map((p, line) => ({ line, text: p.endsWith("\r") ? p.slice(0, -1) : p }))
    .filter((l) => l.text.replace(/[ \t\r]/g, "") !== "");
  return { lines, lastLine: parts.length - 1 };
}

describe("readLineBatches", () => {
  const text = '{"a":1}\r\n\n  \t\n{"b":"é"}\n{"c":[1,2,3]}\r\n \r\n{"d":"no newline at the end"}';

  it("finds every non-blank line with its 0-based number wherever the stream's pieces are cut", async () => {
    const want = expected(text);
    const bytes = Buffer.byteLength(text);
    for (let cut = 1; cut < bytes; cut++) {
      const got = await readInPieces(text, [cut]);
      expect({ cut, lines: got.lines, lastLine: got.lastLine, bytes: got.bytes }).toEqual({ cut, ...want, bytes });
    }
  });

  it("joins a line spread over three or more pieces, and one piece per byte", async () => {
    const want = expected(text);
    const bytes = Buffer.byteLength(text);
    expect((await readInPieces(text, [2, 4, 5])).lines).toEqual(want.lines);
    const everyByte = Array.from({ length: bytes - 1 }, (_, i) => i + 1);
    expect((await readInPieces(text, everyByte)).lines).toEqual(want.lines);
  });

  it("counts a last line without a line break, and ignores a final blank one", async () => {
    expect(await readInPieces("x\ny", [])).toEqual({
      lines: [
        { line: 0, text: "x" },
        { line: 1, text: "y" },
      ],
      lastLine: 1,
      bytes: 3,
    });
    expect(await readInPieces("x\n\r", [2])).toEqual({ lines: [{ line: 0, text: "x" }], lastLine: 1, bytes: 3 });
    expect(await readInPieces("x\n", [1])).toEqual({ lines: [{ line: 0, text: "x" }], lastLine: 0, bytes: 2 });
  });
});

/** Every line readLineBatches gives for `input` (stdin: `stdin`), and the input bytes the last batch counted. */
async function readAll(input: string, stdin: Readable = new PassThrough()) {
  const lines: { line: number; text: string }[] = [];
  let bytes = -1;
  for await (const batch of readLineBatches(input, stdin, new Map())) {
    for (let i = 0; i < batch.lineNumbers.length; i++)
      lines.push({ line: batch.lineNumbers[i], text: Buffer.from(lineBytes(batch, i)).toString("utf8") });
    bytes = batch.bytes;
  }
  return { lines, bytes };
}

describe("compressed and UTF-16 input", () => {
  // made by GNU gzip, the zstd CLI and iconv (test/fixtures/events/compressed/make.sh)
  const fixture = (name: string) => new URL(`../../fixtures/events/compressed/${name}`, import.meta.url).pathname;
  const plain = fixture("lines.jsonl");
  const want = expected(readFileSync(plain, "utf8"));

  it("a gzip file and a zstd file, each of two members, give the plain file's lines; progress counts the compressed bytes", async () => {
    expect(want.lines).toHaveLength(300);
    for (const name of ["lines.jsonl.gz", "lines.jsonl.zst"]) {
      const got = await readAll(fixture(name));
      expect({ name, lines: got.lines }).toEqual({ name, lines: want.lines });
      expect(got.bytes).toBe(statSync(fixture(name)).size);
    }
    expect((await readAll(plain)).lines).toEqual(want.lines);
  });

  it("UTF-16 text with a byte-order mark (little-endian gzipped, big-endian plain) gives the UTF-8 lines", async () => {
    expect(want.lines.find((l) => l.line === 100)?.text).toContain('"region":"zürich 🙂"');
    expect((await readAll(fixture("lines.utf16le.jsonl.gz"))).lines).toEqual(want.lines);
    expect((await readAll(fixture("lines.utf16be.jsonl"))).lines).toEqual(want.lines.filter((l) => l.line < 20));
  });

  it("compressed stdin is told from its first bytes, even when they arrive one at a time", async () => {
    const gz = readFileSync(fixture("lines.jsonl.gz"));
    const pieces = [gz.subarray(0, 1), gz.subarray(1, 2), gz.subarray(2, 3), gz.subarray(3)];
    expect((await readAll("-", Readable.from(pieces))).lines).toEqual(want.lines);
    expect((await readAll("-", Readable.from([readFileSync(fixture("lines.jsonl.zst"))]))).lines).toEqual(want.lines);
  });

  it("a truncated or corrupt archive, or cut UTF-16, is one InputFileError naming the file and the format", async () => {
    const dir = mkdtempSync(join(tmpdir(), "compressed-"));
    const cases = [
      {
        name: "cut.jsonl.gz",
        bytes: readFileSync(fixture("lines.jsonl.gz")).subarray(0, 5000),
        error: /\(gzip\): unexpected end of file$/,
      },
      { name: "cut.jsonl.zst", bytes: readFileSync(fixture("lines.jsonl.zst")).subarray(0, 5000), error: /\(zstd\): / },
      { name: "bad.jsonl.gz", bytes: Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(64, 0xff)]), error: /\(gzip\): / },
      // an odd number of bytes: the last UTF-16 unit is cut
      { name: "odd.jsonl", bytes: readFileSync(fixture("lines.utf16be.jsonl")).subarray(0, 1001), error: /\(utf-16be\): / },
    ];
    for (const c of cases) {
      const path = join(dir, c.name);
      writeFileSync(path, c.bytes);
      const failure = await readAll(path).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(InputFileError);
      const what = c.name.endsWith(".gz") || c.name.endsWith(".zst") ? "decompress" : "decode";
      expect((failure as Error).message).toMatch(new RegExp(`^cannot ${what} input .*${c.name.replace(".", "\\.")} `));
      expect((failure as Error).message).toMatch(c.error);
    }
  });
});

describe("a JSON document instead of JSON lines", () => {
  it("a JSON array or a pretty-printed object is refused at its first line, with how to convert it", async () => {
    const cases = [
      { text: '[{"eventId":"a"},\n{"eventId":"b"}]\n', message: /is a JSON array, not JSON lines .*jq -c '\.\[\]'/, reason: "json_array" },
      { text: '\ufeff  [ {"eventId":"a"} ]\n', message: /is a JSON array/, reason: "json_array" },
      {
        text: '\n{\n  "eventId": "a"\n}\n',
        message: /is pretty-printed JSON \(its first line is "\{"\).*jq -c \./,
        reason: "pretty_printed_json",
      },
    ];
    for (const c of cases) {
      const failure = await readAll("-", Readable.from([Buffer.from(c.text, "utf8")])).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(InputFileError);
      expect((failure as InputFileError).message).toMatch(c.message);
      expect((failure as InputFileError).context.reason).toBe(c.reason);
    }
  });

  it("an array or a lone brace after the first line is an ordinary bad line", async () => {
    const text = '{"eventId":"a"}\n[1,2]\n{\n';
    expect((await readAll("-", Readable.from([Buffer.from(text, "utf8")]))).lines.map((l) => l.text)).toEqual([
      '{"eventId":"a"}',
      "[1,2]",
      "{",
    ]);
  });
});
