// The content of replay and baseline import input, whatever it was saved as. History is usually
// archived compressed (.jsonl.gz, .jsonl.zst), and a backtest should not need a decompressed copy of months of
// it; text saved on Windows is often UTF-16 (PowerShell's `>`). Both are told from the first bytes, not the file
// name, so stdin works too: gzip (concatenated members too) through node:zlib, zstd (concatenated frames too)
// through fzstd, the decoder the Kafka consumer already uses; then an Avro container file and a Parquet file are
// told apart, and UTF-16 with a byte-order mark transcoded. Anything else passes as it is (a UTF-8 BOM is the
// decoder's to skip).
import { createRequire } from "node:module";
import { createGunzip } from "node:zlib";
import { Readable } from "node:stream";
import { DetectorError } from "../errors/detector-error.ts";
import { AVRO_CONTAINER_MAGIC, isAvroContainer } from "./avro-container-input.ts";
import { isParquet } from "./parquet-input.ts";

export type InputCompression = "gzip" | "zstd" | "none";
export type InputEncoding = "utf-16le" | "utf-16be" | "utf-8";

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const UTF16LE_BOM = [0xff, 0xfe];
const UTF16BE_BOM = [0xfe, 0xff];

const startsWith = (head: Uint8Array, magic: readonly number[]): boolean =>
  head.length >= magic.length && magic.every((b, i) => head[i] === b);

/** The compression the first bytes of an input announce. */
export function compressionOf(head: Uint8Array): InputCompression {
  if (startsWith(head, GZIP_MAGIC)) return "gzip";
  if (startsWith(head, ZSTD_MAGIC)) return "zstd";
  return "none";
}

/** The text encoding the first bytes of an (uncompressed) input announce by a byte-order mark. */
export function encodingOf(head: Uint8Array): InputEncoding {
  if (startsWith(head, UTF16LE_BOM)) return "utf-16le";
  if (startsWith(head, UTF16BE_BOM)) return "utf-16be";
  return "utf-8";
}

/** An input that cannot be read as what its first bytes say (a truncated archive, broken UTF-16). */
export class InputEncodingError extends DetectorError<{ format: Exclude<InputCompression, "none"> | InputEncoding }> {
  constructor(format: Exclude<InputCompression, "none"> | InputEncoding, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { format }, { cause });
  }
}

/** How many bytes of the input itself (compressed, when it is) have been read: what progress measures. */
export interface InputBytesRead {
  bytes: number;
}

/** The input's content: UTF-8 text, or the bytes of an Avro container file (avro-container-input.ts) or a Parquet file. */
export type InputContent = { format: "text" | "avro-container" | "parquet"; chunks: AsyncIterable<Buffer> };

/**
 * The input's content, `chunks` decompressed and transcoded as their first bytes say. `read.bytes` counts the
 * input's own bytes as they are read. Its chunks throw InputEncodingError.
 */
export async function inputContent(chunks: AsyncIterable<Buffer>, read: InputBytesRead): Promise<InputContent> {
  const counted = withHead(countedChunks(chunks, read), ZSTD_MAGIC.length);
  const compression = compressionOf(await counted.head);
  const content = compression === "gzip" ? gunzipped(counted.all) : compression === "zstd" ? zstdDecompressed(counted.all) : counted.all;
  const text = withHead(content, AVRO_CONTAINER_MAGIC.length);
  const head = await text.head;
  if (isAvroContainer(head)) return { format: "avro-container", chunks: text.all };
  if (isParquet(head)) return { format: "parquet", chunks: text.all };
  const encoding = encodingOf(head);
  return { format: "text", chunks: encoding === "utf-8" ? text.all : transcodedToUtf8(text.all, encoding) };
}

async function* countedChunks(chunks: AsyncIterable<Buffer>, read: InputBytesRead): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    read.bytes += chunk.length;
    yield chunk;
  }
}

/** The first `n` bytes of `chunks` (fewer if it is shorter; a pipe may deliver fewer at first), and then all of it. */
function withHead(chunks: AsyncIterable<Buffer>, n: number): { head: Promise<Buffer>; all: AsyncIterable<Buffer> } {
  const source = chunks[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  const head = (async () => {
    let bytes = 0;
    while (bytes < n) {
      const next = await source.next();
      if (next.done === true) break;
      taken.push(next.value);
      bytes += next.value.length;
    }
    return Buffer.concat(taken);
  })();
  async function* all(): AsyncGenerator<Buffer> {
    try {
      await head;
      yield* taken;
      for (let next = await source.next(); next.done !== true; next = await source.next()) yield next.value;
    } finally {
      // a reader that stops early (--strict) closes the input (the file's descriptor) through here
      await source.return?.();
    }
  }
  return { head, all: all() };
}

async function* gunzipped(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  const piped = Readable.from(input).on("error", (err) => gunzip.destroy(err));
  piped.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    throw new InputEncodingError("gzip", err);
  } finally {
    piped.destroy();
  }
}

async function* zstdDecompressed(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  // loaded only for zstd input (start-up of every other replay); copied: line batches keep views into their
  // chunk, and the decoder may reuse its output's memory
  const { Decompress } = createRequire(import.meta.url)("fzstd") as typeof import("fzstd");
  const decompress = new Decompress((data) => out.push(Buffer.from(data)));
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      decompress.push(chunk, final);
    } catch (err) {
      throw new InputEncodingError("zstd", err);
    }
  };
  for await (const chunk of input) {
    push(chunk, false);
    yield* out.splice(0);
  }
  push(new Uint8Array(0), true);
  yield* out.splice(0);
}

async function* transcodedToUtf8(input: AsyncIterable<Buffer>, encoding: "utf-16le" | "utf-16be"): AsyncGenerator<Buffer> {
  // fatal: a lone surrogate stops the command rather than become U+FFFD in an event; the BOM is dropped
  const decoder = new TextDecoder(encoding, { fatal: true });
  try {
    for await (const chunk of input) yield Buffer.from(decoder.decode(chunk, { stream: true }), "utf8");
    yield Buffer.from(decoder.decode(), "utf8");
  } catch (err) {
    if (err instanceof InputEncodingError) throw err;
    throw new InputEncodingError(encoding, err);
  }
}
