// Reading PredictionEvent JSON lines from a file or stdin (shell side), decoded with the same decoder the
// service uses. Blank lines are skipped; every other line yields a decode result with its 0-based number. The
// input may be compressed or UTF-16 (input-encoding.ts), an Avro container file whose records stand in for
// lines (avro-container-input.ts), or CSV whose rows do (csv-input.ts).
import { closeSync, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";
import { decodePredictionMessage } from "../events/codec.ts";
import type { DecodeResult } from "../events/decode-result.ts";
import type { PredictionEvent } from "../events/types.ts";
import { DetectorError } from "../errors/detector-error.ts";
import { AvroBodyError } from "../events/avro-decoder.ts";
import { avroContainerBlocks, AvroContainerError, type WriterSchemas } from "./avro-container-input.ts";
import { csvHeaderSeparator, csvLineBlocks, CsvInputError, type CsvContract, type CsvSeparator } from "./csv-input.ts";
import { inputContent, InputEncodingError, type InputBytesRead } from "./input-encoding.ts";
import { parquetLineBlocks, ParquetInputError } from "./parquet-input.ts";

export class InputFileError extends DetectorError<{ input: string; line?: number; reason?: string }> {
  constructor(message: string, context: { input: string; line?: number; reason?: string }) {
    super(message, context);
  }
}

const READ_CHUNK_BYTES = 1 << 20;
const FIRST_READ_BYTES = 1 << 16;

/**
 * The input's bytes in chunks. A regular file is read with synchronous 1 MiB reads: from the page cache a
 * read costs a fraction of the event-loop round trip a stream makes per chunk, during which replay sat
 * idle (~6 % of its wall time). Pipes, devices and stdin are streamed.
 */
function openInput(input: string, stdin: Readable): Promise<AsyncIterable<Buffer | string>> {
  if (input === "-") return Promise.resolve(stdin);
  let fd: number;
  try {
    fd = openSync(input, "r");
  } catch (err) {
    return Promise.reject(
      new InputFileError(`cannot read input ${input}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { input }),
    );
  }
  if (!fstatSync(fd).isFile()) return Promise.resolve(createReadStream("", { fd, highWaterMark: READ_CHUNK_BYTES }));
  return Promise.resolve(fileChunks(fd));
}

async function* fileChunks(fd: number): AsyncGenerator<Buffer> {
  try {
    // The first read is small: its few hundred lines end in a move to the next chunk's lines while the code
    // that reads them still gathers type feedback (a first move only after V8 had optimised it deoptimised it).
    for (let size = FIRST_READ_BYTES; ; size = READ_CHUNK_BYTES) {
      // a fresh buffer per chunk: batches keep views into it
      const chunk = Buffer.allocUnsafe(size);
      const n = readSync(fd, chunk, 0, size, null);
      if (n === 0) return;
      yield n === size ? chunk : chunk.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

export interface EventLine {
  /** 0-based line number */
  line: number;
  /** input bytes read up to and including this line */
  bytes: number;
  result: DecodeResult<PredictionEvent>;
}

/**
 * Non-blank input lines as read, without their line breaks, and without an object per line: line i of the
 * batch is `buffer.subarray(starts[i], ends[i])` (lineBytes). Lines are read far ahead of being decoded
 * (replay applies them 16 384 at a time), and an object per waiting line was garbage-collector work.
 */
export interface RawLineBatch {
  buffer: Buffer;
  /** per line: its 0-based number in the input */
  lineNumbers: number[];
  starts: number[];
  ends: number[];
  /** 0-based number of the last line read (blank or not), -1 before the first */
  lastLine: number;
  /** input bytes read up to the end of this batch */
  bytes: number;
}

/** The bytes of line `i` of a batch: a view, not a copy (a plain Uint8Array: cheaper to make than a Buffer's subarray). */
export function lineBytes(batch: RawLineBatch, i: number): Uint8Array {
  const buffer = batch.buffer;
  const start = batch.starts[i];
  return new Uint8Array(buffer.buffer, buffer.byteOffset + start, batch.ends[i] - start);
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const isBlank = (b: Uint8Array, from: number, to: number): boolean => {
  for (let i = from; i < to; i++) if (b[i] !== 0x20 && b[i] !== 0x09 && b[i] !== CR) return false;
  return true;
};

/**
 * The non-blank lines of the input in batches, as they arrive from the stream (one batch per read chunk, and
 * one for a line that spans two chunks): bytes are split at "\n" (a trailing "\r" is dropped), never
 * decoded here — the decoder does that once. An Avro container file gives one batch per block, each record a
 * Confluent-framed "line" of a schema id registered in `schemas` (the caller's decode context reads it there).
 */
export async function* readLineBatches(
  input: string,
  stdin: Readable,
  schemas: WriterSchemas,
  contract: CsvContract = "prediction",
): AsyncGenerator<RawLineBatch> {
  let checked = false;
  for await (const batch of lineBatches(input, stdin, schemas, contract)) {
    if (!checked && batch.lineNumbers.length > 0) {
      checked = true;
      refuseWholeDocument(input, lineBytes(batch, 0));
    }
    yield batch;
  }
}

/**
 * A JSON document where JSON lines belong (pandas' to_json() without lines=True writes one array; `jq .`
 * pretty-prints an object over many lines) would be rejected line by line, thousands of times, with no word of
 * why: its first line already tells, so the command stops there and says how to convert it.
 */
function refuseWholeDocument(input: string, firstLine: Uint8Array): void {
  let from = firstLine[0] === 0xef && firstLine[1] === 0xbb && firstLine[2] === 0xbf ? 3 : 0;
  while (from < firstLine.length && (firstLine[from] === 0x20 || firstLine[from] === 0x09)) from++;
  let to = firstLine.length;
  while (to > from && (firstLine[to - 1] === 0x20 || firstLine[to - 1] === 0x09)) to--;
  if (firstLine[from] === 0x5b) {
    throw new InputFileError(
      `input ${input} is a JSON array, not JSON lines (one event per line): convert it with jq -c '.[]' (pandas: to_json(orient="records", lines=True))`,
      { input, line: 0, reason: "json_array" },
    );
  }
  if (to - from === 1 && firstLine[from] === 0x7b) {
    const message = `input ${input} is pretty-printed JSON (its first line is "{"), not JSON lines (one event per line): convert it with jq -c .`;
    throw new InputFileError(message, { input, line: 0, reason: "pretty_printed_json" });
  }
}

/** readLineBatches without the check of the first line. */
async function* lineBatches(input: string, stdin: Readable, schemas: WriterSchemas, contract: CsvContract): AsyncGenerator<RawLineBatch> {
  const read: InputBytesRead = { bytes: 0 };
  try {
    const content = await inputContent(asBuffers(await openInput(input, stdin)), read);
    if (content.format === "avro-container") yield* containerRecordBatches(content.chunks, schemas, read);
    else if (content.format === "parquet") yield* parquetRowBatches(content.chunks, contract, read);
    else {
      const text = await peeked(content.chunks);
      const separator = text.first === undefined ? undefined : csvHeaderSeparator(firstLineOf(text.first));
      if (separator !== undefined) yield* csvRowBatches(text.chunks, contract, separator, read);
      else yield* textLineBatches(text.chunks, read);
    }
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    if (err instanceof CsvInputError) {
      throw new InputFileError(`cannot read CSV input ${input}: ${err.message}`, { input, line: err.context.line, reason: "csv" });
    }
    if (err instanceof InputEncodingError) {
      const what = err.context.format.startsWith("utf-16") ? "decode" : "decompress";
      throw new InputFileError(`cannot ${what} input ${input} (${err.context.format}): ${err.message}`, { input });
    }
    if (err instanceof AvroContainerError) throw new InputFileError(`cannot read Avro container input ${input}: ${err.message}`, { input });
    if (err instanceof ParquetInputError) {
      const row = err.context.row;
      throw new InputFileError(
        `cannot read Parquet input ${input}: ${err.message}`,
        row === undefined ? { input } : { input, line: row, reason: "parquet" },
      );
    }
    if (err instanceof AvroBodyError) {
      const message = `cannot read Avro container input ${input}: a record does not decode with the file's schema: ${err.message}`;
      throw new InputFileError(message, { input });
    }
    throw new InputFileError(`cannot read input ${input}: ${(err as Error).message}`, { input });
  }
}

/** An Avro container file's records, a batch per block, each a "line" framed as a Confluent message. */
async function* containerRecordBatches(
  chunks: AsyncIterable<Buffer>,
  schemas: WriterSchemas,
  read: InputBytesRead,
): AsyncGenerator<RawLineBatch> {
  let line = -1;
  for await (const block of avroContainerBlocks(chunks, schemas)) {
    const lineNumbers: number[] = [];
    for (let k = 0; k < block.starts.length; k++) lineNumbers.push(++line);
    yield { buffer: block.frames, lineNumbers, starts: block.starts, ends: block.ends, lastLine: line, bytes: read.bytes };
  }
}

/**
 * A Parquet file's rows as JSON lines, a batch per row group ("line" is the row). The file is read whole
 * first: Parquet's footer, at its end, says where each column is.
 */
async function* parquetRowBatches(
  chunks: AsyncIterable<Buffer>,
  contract: CsvContract,
  read: InputBytesRead,
): AsyncGenerator<RawLineBatch> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  let lastLine = -1;
  for await (const block of parquetLineBlocks(Buffer.concat(parts), contract)) {
    if (block.lines.length > 0) lastLine = block.lines[block.lines.length - 1];
    yield { buffer: block.frames, lineNumbers: block.lines, starts: block.starts, ends: block.ends, lastLine, bytes: read.bytes };
  }
}

/** The first chunk of a stream, and the whole stream again. */
async function peeked(chunks: AsyncIterable<Buffer>): Promise<{ first: Buffer | undefined; chunks: AsyncIterable<Buffer> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const head = await iterator.next();
  const first = head.done === true ? undefined : head.value;
  async function* again(): AsyncGenerator<Buffer> {
    if (first === undefined) return;
    yield first;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  }
  return { first, chunks: again() };
}

function firstLineOf(chunk: Buffer): string {
  const nl = chunk.indexOf(NEWLINE);
  return chunk.toString("utf8", 0, nl < 0 ? Math.min(chunk.length, 1 << 16) : nl);
}

/** CSV rows as the JSON lines of their events, a batch per read chunk. */
async function* csvRowBatches(
  chunks: AsyncIterable<Buffer>,
  contract: CsvContract,
  separator: CsvSeparator,
  read: InputBytesRead,
): AsyncGenerator<RawLineBatch> {
  let lastLine = 0;
  for await (const block of csvLineBlocks(chunks, contract, separator)) {
    if (block.lines.length > 0) lastLine = block.lines[block.lines.length - 1];
    yield { buffer: block.frames, lineNumbers: block.lines, starts: block.starts, ends: block.ends, lastLine, bytes: read.bytes };
  }
}

/** Text input's non-blank lines. */
async function* textLineBatches(stream: AsyncIterable<Buffer>, read: InputBytesRead): AsyncGenerator<RawLineBatch> {
  let carry: Buffer | null = null;
  let line = -1;
  let bytes = 0;
  // the lines of buf[from, to) that end in "\n" (to: the end of the last of them), and how far that got
  // (the batch is made after the loop: a store after it had no type feedback when the loop was optimised on
  // the first chunk, and deoptimised it at the end of every chunk)
  const split = (buf: Buffer, from: number, to: number): RawLineBatch => {
    const lineNumbers: number[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let n = line;
    let start = from;
    for (let nl = buf.indexOf(NEWLINE, start); nl >= 0 && nl < to; nl = buf.indexOf(NEWLINE, start)) {
      n++;
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      if (!isBlank(buf, start, end)) {
        lineNumbers.push(n);
        starts.push(start);
        ends.push(end);
      }
      start = nl + 1;
    }
    line = n;
    return { buffer: buf, lineNumbers, starts, ends, lastLine: n, bytes };
  };
  for await (const chunk of stream) {
    bytes = read.bytes;
    let from = 0;
    if (carry !== null) {
      // only the line that spans the two chunks is copied, not the whole chunk
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        yield { buffer: carry, lineNumbers: [], starts: [], ends: [], lastLine: line, bytes };
        continue;
      }
      const joined = Buffer.concat([carry, chunk.subarray(0, nl + 1)]);
      yield split(joined, 0, joined.length);
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(NEWLINE);
    const batch = last < from ? split(chunk, from, from) : split(chunk, from, last + 1);
    carry = Math.max(last + 1, from) < chunk.length ? chunk.subarray(Math.max(last + 1, from)) : null;
    yield batch;
  }
  if (carry !== null) {
    line++;
    let end = carry.length;
    if (end > 0 && carry[end - 1] === CR) end--;
    const blank = isBlank(carry, 0, end);
    yield { buffer: carry, lineNumbers: blank ? [] : [line], starts: blank ? [] : [0], ends: blank ? [] : [end], lastLine: line, bytes };
  }
}

/** Stdin in text mode gives strings: bytes from here on. */
async function* asBuffers(pieces: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  for await (const piece of pieces) yield typeof piece === "string" ? Buffer.from(piece, "utf8") : piece;
}

export async function* readEventLines(input: string, stdin: Readable, maxMessageBytes: number): AsyncGenerator<EventLine> {
  const schemas: WriterSchemas = new Map();
  const decodeContext = { schemaForId: (id: number) => schemas.get(id), maxMessageBytes };
  for await (const batch of readLineBatches(input, stdin, schemas)) {
    for (let i = 0; i < batch.lineNumbers.length; i++) {
      yield { line: batch.lineNumbers[i], bytes: batch.bytes, result: decodePredictionMessage(lineBytes(batch, i), decodeContext) };
    }
  }
}

/** One decoded line with how far its input was read (progress). */
export interface DecodedLine<T> {
  line: number;
  /** 0-based number of the last line read so far (blank lines included) */
  lastLine: number;
  bytes: number;
  value: Uint8Array;
  result: DecodeResult<T>;
}

export async function* decodedLines<T>(
  input: string,
  stdin: Readable,
  decode: (value: Uint8Array) => DecodeResult<T>,
  schemas: WriterSchemas,
  contract: CsvContract = "prediction",
): AsyncGenerator<DecodedLine<T>> {
  for await (const batch of readLineBatches(input, stdin, schemas, contract)) {
    for (let i = 0; i < batch.lineNumbers.length; i++) {
      const value = lineBytes(batch, i);
      yield { line: batch.lineNumbers[i], lastLine: batch.lastLine, bytes: batch.bytes, value, result: decode(value) };
    }
  }
}

/**
 * Two streams of decoded lines merged in event-time order (each stream keeps its own order: a line is
 * taken when its event time is not later than the other stream's next one; ties go to `first`). A line
 * that did not decode has no event time and is taken as soon as it is next in its stream.
 */
export async function* mergeByEventTime<A extends { timestamp: number }, B extends { timestamp: number }>(
  first: AsyncIterator<DecodedLine<A>>,
  second: AsyncIterator<DecodedLine<B>>,
): AsyncGenerator<{ from: "first"; item: DecodedLine<A> } | { from: "second"; item: DecodedLine<B> }> {
  const time = (r: DecodeResult<{ timestamp: number }>) => (r.ok ? r.event.timestamp : Number.NEGATIVE_INFINITY);
  let a = await first.next();
  let b = await second.next();
  while (a.done !== true || b.done !== true) {
    if (b.done === true || (a.done !== true && time(a.value.result) <= time(b.value.result))) {
      yield { from: "first", item: a.value as DecodedLine<A> };
      a = await first.next();
    } else {
      yield { from: "second", item: b.value };
      b = await second.next();
    }
  }
}

/** Rejections by reason with the first few (1-based) line numbers, for summaries. */
export type RejectionTally = Record<string, { count: number; firstLines: number[] }>;

export function tallyRejection(tally: RejectionTally, reason: string, line: number): void {
  const r = (tally[reason] ??= { count: 0, firstLines: [] });
  r.count++;
  if (r.firstLines.length < 5) r.firstLines.push(line + 1);
}
