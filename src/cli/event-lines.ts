// Reading PredictionEvent JSON lines from a file or stdin (shell side), decoded with the same decoder the
// service uses. Blank lines are skipped; every other line yields a decode result with its 0-based number.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { decodePredictionMessage } from "../events/codec.ts";
import type { DecodeResult } from "../events/decode-result.ts";
import type { PredictionEvent } from "../events/types.ts";

export class InputFileError extends Error {
  override readonly name = "InputFileError";
  constructor(
    message: string,
    readonly context: { input: string; line?: number; reason?: string },
  ) {
    super(message);
  }
}

function openInput(input: string, stdin: Readable): Promise<Readable> {
  if (input === "-") return Promise.resolve(stdin);
  return new Promise((resolve, reject) => {
    const stream = createReadStream(input);
    stream.once("open", () => resolve(stream));
    stream.once("error", (err: NodeJS.ErrnoException) => reject(new InputFileError(`cannot read input ${input}: ${err.code ?? err.message}`, { input })));
  });
}

export interface EventLine {
  /** 0-based line number */
  line: number;
  /** input bytes read up to and including this line */
  bytes: number;
  result: DecodeResult<PredictionEvent>;
}

export async function* readEventLines(input: string, stdin: Readable, maxMessageBytes: number): AsyncGenerator<EventLine> {
  const stream = await openInput(input, stdin);
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  const encoder = new TextEncoder();
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes };
  let line = -1;
  let bytes = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === "") {
        bytes += text.length + 1;
        continue;
      }
      const encoded = encoder.encode(text);
      bytes += encoded.length + 1;
      yield { line, bytes, result: decodePredictionMessage(encoded, decodeContext) };
    }
  } catch (err) {
    if (err instanceof InputFileError) throw err;
    throw new InputFileError(`cannot read input ${input}: ${(err as Error).message}`, { input });
  }
}

/** Rejections by reason with the first few (1-based) line numbers, for summaries. */
export type RejectionTally = Record<string, { count: number; firstLines: number[] }>;

export function tallyRejection(tally: RejectionTally, reason: string, line: number): void {
  const r = (tally[reason] ??= { count: 0, firstLines: [] });
  r.count++;
  if (r.firstLines.length < 5) r.firstLines.push(line + 1);
}
