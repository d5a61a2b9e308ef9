// Reading PredictionEvent JSON lines from a file or stdin (shell side), decoded with the same decoder the
// service uses. Blank lines are skipped; every other line yields a decode result with its 0-based number.
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { decodePredictionMessage } from "../events/codec.ts";
import type { DecodeResult } from "../events/decode-result.ts";
import type { PredictionEvent } from "../events/types.ts";
import { DetectorError } from "../errors/detector-error.ts";

export class InputFileError extends DetectorError<{ input: string; line?: number; reason?: string }> {
  constructor(message: string, context: { input: string; line?: number; reason?: string }) {
    super(message, context);
  }
}

function openInput(input: string, stdin: Readable): Promise<Readable> {
  if (input === "-") return Promise.resolve(stdin);
  return new Promise((resolve, reject) => {
    const stream = createReadStream(input, { highWaterMark: 1 << 20 });
    stream.once("open", () => resolve(stream));
    stream.once("error", (err: NodeJS.ErrnoException) =>
      reject(new InputFileError(`cannot read input ${input}: ${err.code ?? err.message}`, { input })),
    );
  });
}

export interface EventLine {
  /** 0-based line number */
  line: number;
  /** input bytes read up to and including this line */
  bytes: number;
  result: DecodeResult<PredictionEvent>;
}

/** One non-blank input line: its bytes as read (no decode/encode round trip), without the line break. */
export interface RawLine {
  /** 0-based line number */
  line: number;
  value: Uint8Array;
}

export interface RawLineBatch {
  lines: RawLine[];
  /** 0-based number of the last line read (blank or not), -1 before the first */
  lastLine: number;
  /** input bytes read up to the end of this batch */
  bytes: number;
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const isBlank = (b: Uint8Array): boolean => {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0x20 && b[i] !== 0x09 && b[i] !== CR) return false;
  return true;
};

/**
 * The non-blank lines of the input in batches, as they arrive from the stream (one batch per read chunk):
 * bytes are split at "\n" (a trailing "\r" is dropped), never decoded here — the decoder does that once.
 */
export async function* readLineBatches(input: string, stdin: Readable): AsyncGenerator<RawLineBatch> {
  const stream = await openInput(input, stdin);
  let carry: Buffer | null = null;
  let line = -1;
  let bytes = 0;
  const cut = (buf: Buffer, from: number, to: number): Uint8Array => buf.subarray(from, to > from && buf[to - 1] === CR ? to - 1 : to);
  try {
    for await (const piece of stream as AsyncIterable<Buffer | string>) {
      const chunk = typeof piece === "string" ? Buffer.from(piece, "utf8") : piece;
      bytes += chunk.length;
      const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
      const lines: RawLine[] = [];
      let start = 0;
      for (let nl = buf.indexOf(NEWLINE, start); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
        line++;
        const value = cut(buf, start, nl);
        if (!isBlank(value)) lines.push({ line, value });
        start = nl + 1;
      }
      carry = start < buf.length ? buf.subarray(start) : null;
      yield { lines, lastLine: line, bytes };
    }
    if (carry !== null) {
      line++;
      const value = cut(carry, 0, carry.length);
      yield { lines: isBlank(value) ? [] : [{ line, value }], lastLine: line, bytes };
    }
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(`cannot read input ${input}: ${(err as Error).message}`, { input });
  }
}

export async function* readEventLines(input: string, stdin: Readable, maxMessageBytes: number): AsyncGenerator<EventLine> {
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes };
  for await (const batch of readLineBatches(input, stdin)) {
    for (const { line, value } of batch.lines) yield { line, bytes: batch.bytes, result: decodePredictionMessage(value, decodeContext) };
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
): AsyncGenerator<DecodedLine<T>> {
  for await (const batch of readLineBatches(input, stdin)) {
    for (const { line, value } of batch.lines) yield { line, lastLine: batch.lastLine, bytes: batch.bytes, value, result: decode(value) };
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
