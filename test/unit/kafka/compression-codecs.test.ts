// The codecs decode what other clients' libraries write: lz4 frames and zstd frames made by the reference
// CLIs (test/fixtures/compression/make_fixtures.sh), and snappy blocks written by hand from the format
// description (raw, as librdkafka and franz-go send them, and in snappy-java's xerial framing, as the Java
// client sends them).
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { CompressionCodecs, CompressionTypes } from "kafkajs";
import { describe, expect, it } from "vitest";
import {
  CompressedBatchDecodeError,
  lz4Codec,
  registerCompressionCodecs,
  snappyCodec,
  UnsupportedCompressionError,
  zstdCodec,
} from "../../../src/kafka/compression-codecs.ts";

const fixtures = JSON.parse(readFileSync(new URL("../../fixtures/compression/fixtures.json", import.meta.url), "utf8")) as Record<
  string,
  string
>;
const plain = Buffer.from(fixtures.plain, "utf8");
const b64 = (name: string) => Buffer.from(fixtures[name], "base64");

// "abcdabcdabcd": uncompressed length 12 (varint 0x0c), a literal of 4 bytes (tag (4-1)<<2 = 0x0c), then a
// copy of 8 bytes at offset 4 with a 1-byte offset (tag (8-4)<<2 | 1 = 0x11, offset 0x04).
const rawSnappyBlock = Buffer.from([0x0c, 0x0c, 0x61, 0x62, 0x63, 0x64, 0x11, 0x04]);

function xerialFramed(blocks: Buffer[]): Buffer {
  const header = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
  const parts: Buffer[] = [header];
  for (const block of blocks) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

describe("compression codecs", () => {
  it("lz4 decodes the frame format written by the lz4 CLI, with and without content size and checksums", async () => {
    expect((await lz4Codec.decompress(b64("lz4Frame"))).equals(plain)).toBe(true);
    expect((await lz4Codec.decompress(b64("lz4FrameWithChecksums"))).equals(plain)).toBe(true);
  });

  it("lz4 round-trips what it compresses as a frame", async () => {
    const compressed = await lz4Codec.compress({ buffer: plain });
    expect(compressed.readUInt32LE(0)).toBe(0x184d2204); // LZ4 frame magic
    expect((await lz4Codec.decompress(compressed)).equals(plain)).toBe(true);
  });

  it("zstd decodes a frame written by the zstd CLI", async () => {
    expect((await zstdCodec.decompress(b64("zstd"))).equals(plain)).toBe(true);
  });

  it("zstd refuses to compress with an error that says the detector only decodes it", async () => {
    await expect(zstdCodec.compress({ buffer: plain })).rejects.toThrow(UnsupportedCompressionError);
    await expect(zstdCodec.compress({ buffer: plain })).rejects.toThrow("only decodes zstd input");
  });

  it("snappy decodes a raw block (librdkafka, franz-go)", async () => {
    expect((await snappyCodec.decompress(rawSnappyBlock)).toString("latin1")).toBe("abcdabcdabcd");
  });

  it("snappy decodes the xerial framing of the Java client, block after block", async () => {
    const framed = xerialFramed([rawSnappyBlock, rawSnappyBlock]);
    expect((await snappyCodec.decompress(framed)).toString("latin1")).toBe("abcdabcdabcd".repeat(2));
  });

  it("snappy rejects a xerial frame whose block runs past the end instead of returning part of it", async () => {
    const framed = xerialFramed([rawSnappyBlock]);
    await expect(snappyCodec.decompress(framed.subarray(0, framed.length - 2))).rejects.toThrow(/exceeds/);
  });

  it("a batch that does not decode fails with a non-retriable error naming the codec (kafkajs must not retry it)", async () => {
    for (const [codec, name] of [
      [lz4Codec, "lz4"],
      [zstdCodec, "zstd"],
      [snappyCodec, "snappy"],
    ] as const) {
      const error = await codec.decompress(Buffer.from("definitely not compressed")).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(CompressedBatchDecodeError);
      expect((error as CompressedBatchDecodeError).retriable).toBe(false);
      expect((error as Error).message).toContain(`cannot decode a ${name}-compressed record batch`);
    }
  });

  it("snappy round-trips what it compresses", async () => {
    expect((await snappyCodec.decompress(await snappyCodec.compress({ buffer: plain }))).equals(plain)).toBe(true);
  });

  it("registering puts snappy, lz4 and zstd into kafkajs' codec table and keeps its gzip", async () => {
    registerCompressionCodecs();
    const table = CompressionCodecs as unknown as Record<number, () => { decompress(b: Buffer): Promise<Buffer> }>;
    expect(table[CompressionTypes.Snappy]()).toBe(snappyCodec);
    expect(table[CompressionTypes.LZ4]()).toBe(lz4Codec);
    expect(table[CompressionTypes.ZSTD]()).toBe(zstdCodec);
    expect((await table[CompressionTypes.GZIP]().decompress(gzipSync(plain))).equals(plain)).toBe(true);
    expect((await table[CompressionTypes.GZIP]().decompress(b64("gzip"))).equals(plain)).toBe(true);
  });
});
