// Replay's decoding thread: a worker thread reads and decodes the input file and hands the results over
// packed (events/packed-predictions.ts) while the main thread applies them. Decoding is ~40 % of a replay's
// CPU time; with a second core a long replay takes 17–26 % less wall time, not 40 %: unpacking costs the main
// thread ~1 µs an event, and V8's compiler and collector share the second core (measurements.md). The results are the ones
// decoding on the main thread gives, line for line and in order (tests replay both ways and compare the bytes).
// At most MAX_AHEAD_LINES lines wait unread, so memory stays flat whatever the length of the file.
// The thread runs this same module: from the bundle, its own bundle (dist/cli/decoding-thread.cjs, built with
// the CLI's); from the TypeScript sources, through tsx (decoding-thread-sources.mjs).
import { existsSync } from "node:fs";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { decodePredictionMessageIn, type DecodeContext } from "../events/codec.ts";
import { PredictionPacker, type PackedPredictions } from "../events/packed-predictions.ts";
import { DetectorError } from "../errors/detector-error.ts";
import type { WriterSchemas } from "./avro-container-input.ts";
import { InputFileError, lineBytes, readLineBatches } from "./event-lines.ts";

const ROLE = "drift-detector replay decoding thread";
/** Lines per pack: small enough to keep the first events coming soon, large enough that posting costs nothing. */
const LINES_PER_PACK = 4096;
/**
 * Lines decoded ahead of the main thread: several of its chunks (replay.ts, REPLAY_CHUNK_LINES), so that the
 * thread keeps decoding while a chunk is applied (with less than one chunk, the two threads took turns).
 */
const MAX_AHEAD_LINES = 65536;

interface ThreadData {
  role: typeof ROLE;
  input: string;
  maxMessageBytes: number;
  /** lines (non-blank) the main thread decodes itself: read past, not decoded */
  skipLines: number;
  /** Int32 [0]: lines the main thread has taken */
  taken: SharedArrayBuffer;
}

/** Lines decoded by the thread: the results of lines up to lastLine, and the input bytes read by then. */
export interface DecodedPack {
  packed: PackedPredictions;
  /** the pack's line numbers (packed.lineNumbers) */
  lineNumbers: Float64Array;
  /** 0-based number of the last line read (blank or not) */
  lastLine: number;
  bytes: number;
}

type ThreadMessage =
  | { kind: "pack"; packed: PackedPredictions; lastLine: number; bytes: number }
  | { kind: "end" }
  | { kind: "input-error"; message: string; context: InputFileError["context"] }
  | { kind: "failure"; message: string };

/** The decoding thread stopped without finishing (a bug, or the thread could not start). */
export class DecodingThreadError extends DetectorError<{ input: string }> {}

/** The file the thread runs: this module as the build made it, or the sources through tsx. */
function threadFile(): URL {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return new URL("./decoding-thread-sources.mjs", here);
  const bundled = new URL("./decoding-thread.cjs", here);
  return existsSync(fileURLToPath(bundled)) ? bundled : new URL(here);
}

/** A decoding thread started on a file: `packs` gives its lines, `stop` ends it (packs does when it ends). */
export interface DecodingThread {
  packs(): AsyncGenerator<DecodedPack>;
  stop(): Promise<void>;
}

/**
 * Starts decoding the input's lines after the first `skipLines` (non-blank) on a worker thread, at once: the
 * caller decodes those first lines itself meanwhile, so that the thread's start and warm-up cost no waiting.
 * Input errors are thrown by `packs` as the in-thread reading throws them (InputFileError).
 */
export function startDecodingThread(input: string, maxMessageBytes: number, skipLines: number): DecodingThread {
  const taken = new Int32Array(new SharedArrayBuffer(4));
  const data: ThreadData = { role: ROLE, input, maxMessageBytes, skipLines, taken: taken.buffer as SharedArrayBuffer };
  const worker = new Worker(threadFile(), { workerData: data });
  const queue: ThreadMessage[] = [];
  let stopped: Error | undefined;
  let wake: (() => void) | undefined;
  worker.on("message", (m: ThreadMessage) => {
    queue.push(m);
    wake?.();
  });
  worker.on("error", (err) => {
    stopped ??= new DecodingThreadError(`replay's decoding thread failed on ${input}: ${err.message}`, { input }, { cause: err });
    wake?.();
  });
  worker.on("exit", (code) => {
    stopped ??= new DecodingThreadError(`replay's decoding thread exited (code ${code}) before the end of ${input}`, { input });
    wake?.();
  });
  const stop = async () => {
    await worker.terminate();
  };
  async function* packs(): AsyncGenerator<DecodedPack> {
    try {
      for (;;) {
        while (queue.length === 0) {
          if (stopped !== undefined) throw stopped;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        const m = queue.shift()!;
        if (m.kind === "end") return;
        if (m.kind === "input-error") throw new InputFileError(m.message, m.context);
        if (m.kind === "failure") throw new DecodingThreadError(`replay's decoding thread failed on ${input}: ${m.message}`, { input });
        Atomics.add(taken, 0, m.packed.lineNumbers.length);
        Atomics.notify(taken, 0);
        yield { packed: m.packed, lineNumbers: m.packed.lineNumbers, lastLine: m.lastLine, bytes: m.bytes };
      }
    } finally {
      await stop();
    }
  }
  return { packs, stop };
}

/** The thread's work: read, decode, pack, post; wait while MAX_AHEAD_LINES lines are not taken. */
async function decodeLines(data: ThreadData): Promise<void> {
  const port = parentPort!;
  const taken = new Int32Array(data.taken);
  const writerSchemas: WriterSchemas = new Map();
  const ctx: DecodeContext = { schemaForId: (id: number) => writerSchemas.get(id), maxMessageBytes: data.maxMessageBytes };
  const packer = new PredictionPacker();
  let posted = 0;
  const post = (lastLine: number, bytes: number) => {
    posted += packer.lines;
    const packed = packer.take();
    const message: ThreadMessage = { kind: "pack", packed, lastLine, bytes };
    port.postMessage(message, [packed.lineNumbers.buffer, packed.codes.buffer, packed.numbers.buffer] as ArrayBuffer[]);
    // timed: a waiting thread still sees terminate()
    for (let t = Atomics.load(taken, 0); posted - t > MAX_AHEAD_LINES; t = Atomics.load(taken, 0)) Atomics.wait(taken, 0, t, 100);
  };
  try {
    let lastLine = -1;
    let bytes = 0;
    let skip = data.skipLines;
    for await (const batch of readLineBatches(data.input, Readable.from([]), writerSchemas)) {
      const n = batch.lineNumbers.length;
      const first = Math.min(skip, n);
      skip -= first;
      for (let i = first; i < n; i++) {
        const result = decodePredictionMessageIn(batch.buffer, batch.starts[i], batch.ends[i], ctx);
        packer.add(batch.lineNumbers[i], result, result.ok ? undefined : lineBytes(batch, i));
        if (packer.lines >= LINES_PER_PACK) post(i === n - 1 ? batch.lastLine : batch.lineNumbers[i], batch.bytes);
      }
      lastLine = batch.lastLine;
      bytes = batch.bytes;
    }
    post(lastLine, bytes);
    port.postMessage({ kind: "end" } satisfies ThreadMessage);
  } catch (err) {
    const message: ThreadMessage =
      err instanceof InputFileError
        ? { kind: "input-error", message: err.message, context: err.context }
        : { kind: "failure", message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    port.postMessage(message);
  }
}

const thread = workerData as Partial<ThreadData> | null;
if (!isMainThread && thread?.role === ROLE) void decodeLines(thread as ThreadData);
