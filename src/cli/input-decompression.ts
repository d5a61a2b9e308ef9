// Compressed event files, read as they are: history is usually archived as .jsonl.gz or .jsonl.zst, and a
// backtest should not need a decompressed copy of months of it. The format is told from the first bytes (not
// the file name, so stdin works too): gzip (including concatenated members) through node:zlib, zstd (including
// concatenated frames) through fzstd, the decoder the Kafka consumer already uses; anything else is read as is.
import { createGunzip } from "node:zlib";
import { Readable } from "node:stream";
import { Decompress } from "fzstd";
import { DetectorError } from "../errors/detector-error.ts";

export type InputCompression = "gzip" | "zstd" | "none";

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const HEAD_BYTES = ZSTD_MAGIC.length;

const startsWith = (head: Uint8Array, magic: readonly number[]): boolean =>
  head.length >= magic.length && magic.every((b, i) => head[i] === b);

/** The compression the first bytes of an input announce. */
export function compressionOf(head: Uint8Array): InputCompression {
  if (startsWith(head, GZIP_MAGIC)) return "gzip";
  if (startsWith(head, ZSTD_MAGIC)) return "zstd";
  return "none";
}

/** A failure to decompress an input (a truncated or corrupt archive), with the format it was read as. */
export class InputDecompressionError extends DetectorError<{ compression: Exclude<InputCompression, "none"> }> {
  constructor(compression: Exclude<InputCompression, "none">, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { compression }, { cause });
  }
}

/** How many bytes of the input itself (compressed, when it is) have been read: what progress measures. */
export interface InputBytesRead {
  bytes: number;
}

/**
 * The input's content: `chunks` decompressed when its first bytes are a gzip or zstd header, else `chunks` as
 * they are. `read.bytes` counts the input's own bytes as they are read. Throws InputDecompressionError.
 */
export async function* decompressedChunks(chunks: AsyncIterable<Buffer>, read: InputBytesRead): AsyncGenerator<Buffer> {
  const source = chunks[Symbol.asyncIterator]();
  // enough of the start to tell the format (a pipe may deliver fewer bytes at first)
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < HEAD_BYTES) {
    const next = await source.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
    read.bytes += next.value.length;
  }
  async function* counted(): AsyncGenerator<Buffer> {
    yield* head;
    if (ended) return;
    for (let next = await source.next(); next.done !== true; next = await source.next()) {
      read.bytes += next.value.length;
      yield next.value;
    }
  }
  const compression = compressionOf(Buffer.concat(head));
  if (compression === "none") yield* counted();
  else if (compression === "gzip") yield* gunzipped(counted());
  else yield* zstdDecompressed(counted());
}

async function* gunzipped(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  const piped = Readable.from(input).on("error", (err) => gunzip.destroy(err));
  piped.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    throw new InputDecompressionError("gzip", err);
  } finally {
    piped.destroy();
  }
}

async function* zstdDecompressed(input: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const out: Buffer[] = [];
  // copied: line batches keep views into their chunk, and the decoder may reuse its output's memory
  const decompress = new Decompress((data) => out.push(Buffer.from(data)));
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      decompress.push(chunk, final);
    } catch (err) {
      throw new InputDecompressionError("zstd", err);
    }
  };
  for await (const chunk of input) {
    push(chunk, false);
    yield* out.splice(0);
  }
  push(new Uint8Array(0), true);
  yield* out.splice(0);
}
