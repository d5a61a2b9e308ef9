// `drift-detector replay`: runs the detection engine over PredictionEvent JSON lines (a file or stdin) with
// in-memory state and writes every DriftEvent and RetrainRequest as one JSON line to stdout, in emission
// order. Partition is 0; offsets are 0-based input line numbers; emittedAt/requestedAt are event time
// (the largest event time read so far), so a replay is reproducible byte for byte.
import type { Readable, Writable } from "node:stream";
import type { ResolvedConfig } from "../config/load.ts";
import type { Baseline } from "../baseline/baseline.ts";
import { ReferenceBaselineBuilder } from "../baseline/import.ts";
import { applyPrediction, createPartitionState, flushOpenWindows, type EngineOutput } from "../detect/engine.ts";
import { engineContextFrom } from "../detect/context.ts";
import type { Progress } from "./progress.ts";
import { InputFileError, readEventLines, tallyRejection, type RejectionTally } from "./event-lines.ts";

export interface ReplaySummary {
  linesRead: number;
  accepted: number;
  rejected: RejectionTally;
  late: number;
  windowsClosed: number;
  driftEvents: number;
  retrainRequests: number;
  elapsedMs: number;
  eventsPerSecond: number;
}

export interface ReplayOptions {
  input: string;
  config: ResolvedConfig;
  strict: boolean;
  /** imported reference baselines (model\u0000version → baseline); other versions warm up as usual */
  references?: ReadonlyMap<string, Baseline>;
  stdin: Readable;
  /** told of every line read (src/cli/progress.ts) */
  progress?: Progress;
  stdout: Writable;
}

/** Reference baselines built from a file of events (`replay --reference`), keyed by model and version. */
export async function referencesFromFile(path: string, config: ResolvedConfig, stdin: Readable): Promise<Map<string, Baseline>> {
  const builder = new ReferenceBaselineBuilder(config.limits);
  for await (const { result } of readEventLines(path, stdin, config.limits.maxMessageBytes)) if (result.ok) builder.add(result.event);
  return new Map(builder.build(path.split("/").pop() ?? path).map((r) => [`${r.modelId}\u0000${r.modelVersion}`, r.baseline]));
}

export async function runReplay(opts: ReplayOptions): Promise<ReplaySummary> {
  const started = process.hrtime.bigint();
  const state = createPartitionState(0);
  const references = opts.references;
  const ctx = engineContextFrom(opts.config, () => state.maxEventTime, references && ((m, v) => references.get(`${m}\u0000${v}`)));
  const summary: ReplaySummary = { linesRead: 0, accepted: 0, rejected: {}, late: 0, windowsClosed: 0, driftEvents: 0, retrainRequests: 0, elapsedMs: 0, eventsPerSecond: 0 };
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

  for await (const { line, bytes, result } of readEventLines(opts.input, opts.stdin, opts.config.limits.maxMessageBytes)) {
    summary.linesRead = line + 1;
    opts.progress?.update(summary.linesRead, bytes);
    if (!result.ok) {
      if (opts.strict) throw new InputFileError(`line ${line + 1}: ${result.reason}: ${result.message}`, { input: opts.input, line: line + 1, reason: result.reason });
      tallyRejection(summary.rejected, result.reason, line);
      continue;
    }
    summary.accepted++;
    emit(applyPrediction(state, result.event, String(line), ctx).outputs);
    if (pending.length >= 256) await flush();
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
