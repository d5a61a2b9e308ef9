// Avro object container files as replay and baseline import input: Kafka Connect's S3 and GCS sinks archive a
// topic as these (and Spark and Hive write them), so months of history are often exactly such files. Each
// record is handed on framed as a Confluent message of a schema id that stands for the file's writer schema,
// so it goes through the decoder and contract check a record from Kafka goes through, unchanged. Blocks are
// cut into records by the same bounds-checked reader (src/events/avro-decoder.ts), never by trusting counts.
// Codecs: null, deflate, snappy and zstandard (those the Connect sinks and Spark write); others are refused.
import { createRequire } from "node:module";
import { crc32, inflateRawSync } from "node:zlib";
import type { Type } from "avsc";
import { avroValueEnd } from "../events/avro-decoder.ts";
import { CONFLUENT_HEADER_BYTES, CONFLUENT_MAGIC_BYTE } from "../events/confluent-framing.ts";
import { avroTypeForSchema } from "../events/schema-files.ts";
import { DetectorError } from "../errors/detector-error.ts";

// loaded when a block needs them: a replay of JSON lines does not pay for loading a native module at start-up
const requireCodec = createRequire(import.meta.url);
let snappy: typeof import("snappy") | undefined;
let fzstd: typeof import("fzstd") | undefined;

export const AVRO_CONTAINER_MAGIC = [0x4f, 0x62, 0x6a, 0x01]; // "Obj" 1
const SYNC_BYTES = 16;
/** A block larger than this is refused rather than buffered (Connect and Spark write blocks of ~64 KiB). */
const MAX_BLOCK_BYTES = 256 << 20;
const CODECS = ["null", "deflate", "snappy", "zstandard"] as const;

/** The writer schemas of the container files read, by the schema id their records are framed with. */
export type WriterSchemas = Map<number, Type>;

export const isAvroContainer = (head: Uint8Array): boolean => AVRO_CONTAINER_MAGIC.every((b, i) => head[i] === b);

export class AvroContainerError extends DetectorError<{ offset: number }> {}

/** One block's records, each framed as a Confluent message: record k is frames[starts[k], ends[k]). */
export interface ContainerBlock {
  frames: Buffer;
  starts: number[];
  ends: number[];
}

/** Bytes read so far, in one buffer, with the position parsing has reached; `more` when it runs out. */
class Input {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  /** file offset of buf[0] */
  base = 0;
  ended = false;

  constructor(private readonly source: AsyncIterator<Buffer>) {}

  /** Makes at least `n` bytes available from pos; false when the input ends first. */
  async want(n: number): Promise<boolean> {
    while (this.buf.length - this.pos < n) {
      if (this.ended) return false;
      const next = await this.source.next();
      if (next.done === true) {
        this.ended = true;
        return false;
      }
      this.base += this.pos;
      this.buf = Buffer.concat([this.buf.subarray(this.pos), next.value]);
      this.pos = 0;
    }
    return true;
  }

  fail(message: string): AvroContainerError {
    return new AvroContainerError(`${message} (at byte ${this.base + this.pos})`, { offset: this.base + this.pos });
  }

  async take(n: number, what: string): Promise<Buffer> {
    if (!(await this.want(n))) throw this.fail(`the file ends inside ${what}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A zig-zag varint long, or undefined when the input ends before its first byte. */
  async long(what: string): Promise<number | undefined> {
    let n = 0;
    let multiplier = 1;
    for (let count = 0; count < 10; count++) {
      if (!(await this.want(1))) {
        if (count === 0) return undefined;
        throw this.fail(`the file ends inside ${what}`);
      }
      const b = this.buf[this.pos++];
      n += (b & 0x7f) * multiplier;
      multiplier *= 128;
      if ((b & 0x80) === 0) return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
    }
    throw this.fail(`${what}: a varint longer than 10 bytes`);
  }

  async requiredLong(what: string): Promise<number> {
    const n = await this.long(what);
    if (n === undefined) throw this.fail(`the file ends before ${what}`);
    return n;
  }
}

/** The header's metadata map (string → bytes). */
async function readMetadata(input: Input): Promise<Map<string, Buffer>> {
  const metadata = new Map<string, Buffer>();
  for (;;) {
    let count = await input.requiredLong("the header's metadata");
    if (count === 0) return metadata;
    if (count < 0) {
      count = -count;
      await input.requiredLong("the header's metadata"); // the block's byte size
    }
    for (let i = 0; i < count; i++) {
      const key = (await input.take(await input.requiredLong("a metadata key"), "a metadata key")).toString("utf8");
      metadata.set(key, Buffer.from(await input.take(await input.requiredLong("a metadata value"), "a metadata value")));
    }
  }
}

/** The uncompressed length a raw snappy block starts with (a little-endian base-128 varint of up to 5 bytes). */
function snappyLength(data: Buffer): number {
  let n = 0;
  for (let i = 0, shift = 1; i < 5 && i < data.length; i++, shift *= 128) {
    n += (data[i] & 0x7f) * shift;
    if ((data[i] & 0x80) === 0) return n;
  }
  return Number.POSITIVE_INFINITY;
}

function decompressBlock(codec: (typeof CODECS)[number], data: Buffer): Buffer {
  switch (codec) {
    case "null":
      return data;
    case "deflate":
      return inflateRawSync(data, { maxOutputLength: MAX_BLOCK_BYTES });
    case "snappy": {
      // Avro's snappy blocks end in the CRC-32 of the uncompressed data, big-endian; the block starts with its
      // uncompressed length (a varint), checked before anything is allocated for it
      if (snappyLength(data) > MAX_BLOCK_BYTES) throw new Error(`it claims more than ${MAX_BLOCK_BYTES} bytes uncompressed`);
      snappy ??= requireCodec("snappy") as typeof import("snappy");
      const out = snappy.uncompressSync(data.subarray(0, data.length - 4)) as Buffer;
      if (crc32(out) !== data.readUInt32BE(data.length - 4)) throw new Error("snappy block fails its CRC-32 check");
      return out;
    }
    case "zstandard":
      fzstd ??= requireCodec("fzstd") as typeof import("fzstd");
      return Buffer.from(fzstd.decompress(data));
  }
}

/**
 * The records of an Avro container file, block by block, each framed as a Confluent message of a schema id
 * registered in `schemas` for the file's writer schema. Throws AvroContainerError (a bad header, codec or
 * sync marker, a block that does not hold its records) and AvroBodyError from the record reader.
 */
export async function* avroContainerBlocks(chunks: AsyncIterable<Buffer>, schemas: WriterSchemas): AsyncGenerator<ContainerBlock> {
  const input = new Input(chunks[Symbol.asyncIterator]());
  const magic = await input.take(AVRO_CONTAINER_MAGIC.length, "the header");
  if (!isAvroContainer(magic)) throw input.fail("not an Avro container file");
  const metadata = await readMetadata(input);
  const sync = Buffer.from(await input.take(SYNC_BYTES, "the header's sync marker"));
  const codec = (metadata.get("avro.codec")?.toString("utf8") ?? "null") as (typeof CODECS)[number];
  if (!CODECS.includes(codec)) throw input.fail(`codec ${codec} is not supported (${CODECS.join(", ")} are)`);
  const schemaText = metadata.get("avro.schema");
  if (schemaText === undefined) throw input.fail("the header has no avro.schema");
  let writer: Type;
  try {
    writer = avroTypeForSchema(JSON.parse(schemaText.toString("utf8")));
  } catch (err) {
    throw input.fail(`the header's schema is not a valid Avro schema: ${(err as Error).message}`);
  }
  // numbered from 1, as registries number theirs: a frame with id 0 is Apicurio's 8-byte one (apicurio-value-frame.ts)
  const schemaId = schemas.size + 1;
  schemas.set(schemaId, writer);
  for (;;) {
    const count = await input.long("a block's record count");
    if (count === undefined) return;
    const size = await input.requiredLong("a block's byte size");
    if (count < 0 || size < 0 || size > MAX_BLOCK_BYTES) throw input.fail(`a block of ${count} records in ${size} bytes`);
    const data = await input.take(size, "a block");
    if (!sync.equals(await input.take(SYNC_BYTES, "a block's sync marker"))) throw input.fail("a block's sync marker is not the header's");
    let records: Buffer;
    try {
      records = decompressBlock(codec, data);
    } catch (err) {
      throw input.fail(`a ${codec} block does not decompress: ${(err as Error).message}`);
    }
    // a record of the contract takes at least one byte: a larger count is corrupt, and would size `frames`
    if (count > records.length) throw input.fail(`a block claims ${count} records in ${records.length} bytes`);
    const starts: number[] = [];
    const ends: number[] = [];
    const frames = Buffer.allocUnsafe(records.length + count * CONFLUENT_HEADER_BYTES);
    let pos = 0;
    let at = 0;
    for (let k = 0; k < count; k++) {
      const end = avroValueEnd(writer, records, pos);
      starts.push(at);
      frames[at] = CONFLUENT_MAGIC_BYTE;
      frames.writeUInt32BE(schemaId, at + 1);
      at += CONFLUENT_HEADER_BYTES + records.copy(frames, at + CONFLUENT_HEADER_BYTES, pos, end);
      ends.push(at);
      pos = end;
    }
    if (pos !== records.length) throw input.fail(`a block holds ${records.length - pos} bytes after its ${count} records`);
    yield { frames: frames.subarray(0, at), starts, ends };
  }
}
