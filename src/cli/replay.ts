// `drift-detector replay`: runs the detection engine over PredictionEvent JSON lines (a file or stdin) with
// in-memory state and writes every DriftEvent and RetrainRequest as one JSON line to stdout, in emission
// order. Partition is 0; offsets are 0-based input line numbers; emittedAt/requestedAt are event time
// (the largest event time read so far), so a replay is reproducible byte for byte.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { ResolvedConfig } from "../config/load.ts";
import { applyPrediction, createPartitionState, flushOpenWindows, type EngineOutput } from "../detect/engine.ts";
import { engineContextFrom } from "../detect/context.ts";
import { decodePredictionMessage } from "../events/codec.ts";

export interface ReplaySummary {
  linesRead: number;
  accepted: number;
  rejected: Record<string, { count: number; firstLines: number[] }>;
  late: number;
  windowsClosed: number;
  driftEvents: number;
  retrainRequests: number;
  elapsedMs: number;
  eventsPerSecond: number;
}

export class ReplayInputError extends Error {
  override readonly name = "ReplayInputError";
  constructor(
    message: string,
    readonly context: { input: string; line?: number; reason?: string },
  ) {
    super(message);
  }
}

export interface ReplayOptions {
  input: string;
  config: ResolvedConfig;
  strict: boolean;
  stdin: Readable;
  stdout: Writable;
}

function openInput(input: string, stdin: Readable): Promise<Readable> {
  if (input === "-") return Promise.resolve(stdin);
  return new Promise((resolve, reject) => {
    const stream = createReadStream(input);
    stream.once("open", () => resolve(stream));
    stream.once("error", (err: NodeJS.ErrnoException) => reject(new ReplayInputError(`cannot read input ${input}: ${err.code ?? err.message}`, { input })));
  });
}

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const started = process.hrtime.bigint();
  const state = createPartitionState(0);
  const ctx = engineContextFrom(opts.config, () => state.maxEventTime);
  const summary: ReplaySummary = { linesRead: 0, accepted: 0, rejected: {}, late: 0, windowsClosed: 0, driftEvents: 0, retrainRequests: 0, elapsedMs: 0, eventsPerSecond: 0 };
  const decodeContext = { schemaForId: () => undefined, maxMessageBytes: opts.config.limits.maxMessageBytes };
  const encoder = new TextEncoder();
  let pending: string[] = [];

  const emit = (outputs: EngineOutput[]) => {
    for (const o of outputs) {
      if (o.kind === "window") summary.windowsClosed++;
      else if (o.kind === "drift") {
        summary.driftEvents++;
        pending.push(JSON.stringify(o.event));
      } else {
        summary.retrainRequests++;
        pending.push(JSON.stringify(o.request));
      }
    }
  };
  const flush = async () => {
    if (pending.length === 0) return;
    const chunk = pending.join("\n") + "\n";
    pending = [];
    if (!opts.stdout.write(chunk)) await new Promise((r) => opts.stdout.once("drain", r));
  };

  const input = await openInput(opts.input, opts.stdin);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = -1;
  try {
    for await (const line of lines) {
      lineNo++;
      summary.linesRead++;
      if (line.trim() === "") continue;
      const decoded = decodePredictionMessage(encoder.encode(line), decodeContext);
      if (!decoded.ok) {
        if (opts.strict) throw new ReplayInputError(`line ${lineNo + 1}: ${decoded.reason}: ${decoded.message}`, { input: opts.input, line: lineNo + 1, reason: decoded.reason });
        const r = (summary.rejected[decoded.reason] ??= { count: 0, firstLines: [] });
        r.count++;
        if (r.firstLines.length < 5) r.firstLines.push(lineNo + 1);
        continue;
      }
      summary.accepted++;
      emit(applyPrediction(state, decoded.event, String(lineNo), ctx));
      if (pending.length >= 256) await flush();
    }
  } catch (err) {
    if (err instanceof ReplayInputError) throw err;
    throw new ReplayInputError(`cannot read input ${opts.input}: ${(err as Error).message}`, { input: opts.input });
  }
  // End of input closes the open windows that have at least minEvents events.
  emit(flushOpenWindows(state, ctx));
  await flush();
  summary.late = state.counters.late;
  summary.elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  summary.eventsPerSecond = summary.elapsedMs > 0 ? Math.round((summary.accepted / summary.elapsedMs) * 1000) : 0;
  return summary;
}

export function formatReplaySummary(s: ReplaySummary): string {
  const rejected = Object.entries(s.rejected)
    .map(([reason, r]) => `  rejected ${reason}: ${r.count} (first lines: ${r.firstLines.join(", ")})`)
    .join("\n");
  return [
    `replay: ${s.linesRead} lines read, ${s.accepted} events accepted, ${Object.values(s.rejected).reduce((n, r) => n + r.count, 0)} rejected, ${s.late} late`,
    rejected,
    `replay: ${s.windowsClosed} windows closed, ${s.driftEvents} drift events, ${s.retrainRequests} retrain requests`,
    `replay: ${(s.elapsedMs / 1000).toFixed(2)} s, ${s.eventsPerSecond} events/s`,
  ]
    .filter((l) => l !== "")
    .join("\n");
}
