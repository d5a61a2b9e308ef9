// Kafka compression codecs for kafkajs, which ships only gzip. Producers in other languages commonly use
// snappy, lz4 or zstd (Java, librdkafka: Python, Go, C#, kcat), so the consumer must decode all of them:
//   snappy — `snappy` (napi-rs, prebuilt binaries as npm packages: no download, no build); raw blocks as
//            librdkafka and franz-go write them, and the xerial framing of the Java client (snappy-java)
//   lz4    — `lz4-napi` (napi-rs over lz4_flex, prebuilt as npm packages); the LZ4 frame format Kafka uses
//   zstd   — `fzstd` (pure JavaScript decoder): every native zstd binding for Node downloads or builds its
//            binary at install time, and Node 20 has no zstd in zlib. It only decodes: the detector never
//            produces zstd, so compressing with it is an error that says so.
// Registering is global to the kafkajs module (CompressionCodecs is a shared table), so it happens once.
import kafkajs from "kafkajs";
import { compressFrameSync, decompressFrameSync } from "lz4-napi";
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from "snappy";
import { decompress as zstdDecompress } from "fzstd";
import { DetectorError } from "../errors/detector-error.ts";

/** What kafkajs calls on a codec: `compress` gets its Encoder (we only read `.buffer`). */
export interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/**
 * A compressed record batch that does not decode. Not retriable (kafkajs reads `retriable`): the same bytes
 * fail the same way, so the consumer crashes without a restart and the service exits (src/cli/run.ts).
 */
export class CompressedBatchDecodeError extends DetectorError<{ codec: string }> {
  constructor(codec: string, cause: unknown) {
    super(
      `cannot decode a ${codec}-compressed record batch: ${cause instanceof Error ? cause.message : String(cause)}`,
      { codec },
      { cause },
    );
  }
}

export class UnsupportedCompressionError extends DetectorError<{ codec: string; operation: "compress" }> {
  constructor(codec: string, operation: "compress") {
    super(`${codec} ${operation}ion is not supported by the detector (it only decodes ${codec} input)`, { codec, operation });
  }
}

// snappy-java's SnappyOutputStream: magic, version and compatible version, then [int32 length][raw block]*
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;

function isXerialFramed(buffer: Buffer): boolean {
  return buffer.length >= XERIAL_HEADER_BYTES && buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC);
}

export function snappyDecompress(buffer: Buffer): Buffer {
  if (!isXerialFramed(buffer)) return toBuffer(snappyUncompress(buffer));
  const blocks: Buffer[] = [];
  let at = XERIAL_HEADER_BYTES;
  while (at < buffer.length) {
    if (at + 4 > buffer.length) throw new Error(`xerial snappy: truncated block length at byte ${at} of ${buffer.length}`);
    const length = buffer.readUInt32BE(at);
    at += 4;
    if (at + length > buffer.length) throw new Error(`xerial snappy: block of ${length} bytes at byte ${at} exceeds ${buffer.length}`);
    blocks.push(toBuffer(snappyUncompress(buffer.subarray(at, at + length))));
    at += length;
  }
  return Buffer.concat(blocks);
}

function toBuffer(value: string | Buffer): Buffer {
  return typeof value === "string" ? Buffer.from(value, "utf8") : value;
}

function decoding(codec: string, decode: (buffer: Buffer) => Buffer): (buffer: Buffer) => Promise<Buffer> {
  return async (buffer) => {
    try {
      return decode(buffer);
    } catch (err) {
      throw new CompressedBatchDecodeError(codec, err);
    }
  };
}

export const snappyCodec: KafkaCodec = {
  compress: async (encoder) => snappyCompress(encoder.buffer),
  decompress: decoding("snappy", snappyDecompress),
};

export const lz4Codec: KafkaCodec = {
  compress: async (encoder) => compressFrameSync(encoder.buffer),
  decompress: decoding("lz4", decompressFrameSync),
};

export const zstdCodec: KafkaCodec = {
  compress: async () => {
    throw new UnsupportedCompressionError("zstd", "compress");
  },
  decompress: decoding("zstd", (buffer) => {
    const out = zstdDecompress(buffer);
    return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  }),
};

// kafkajs is CommonJS and Node's ESM loader does not see CompressionCodecs as a named export
const { CompressionCodecs, CompressionTypes } = kafkajs;

/** Adds snappy, lz4 and zstd to kafkajs' codec table (gzip is built in). Idempotent. */
export function registerCompressionCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
