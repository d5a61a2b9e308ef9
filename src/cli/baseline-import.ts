// `drift-detector baseline import`: builds reference baselines from a file of PredictionEvents (training or
// validation data), one per model version in the file, and stores them in Redis. A model version that
// has an imported reference skips warmup: its first window is already compared with the reference.
// (A version whose state already holds a reference keeps it; import before the version goes live.)
import type { Readable } from "node:stream";
import type { ResolvedConfig } from "../config/load.ts";
import { ReferenceBaselineBuilder } from "../baseline/import.ts";
import { encodeBaseline } from "../state/engine-state-codec.ts";
import type { StateStore } from "../state/port.ts";
import type { Progress } from "./progress.ts";
import { readEventLines, tallyRejection, type RejectionTally } from "./event-lines.ts";

export interface BaselineImportOptions {
  input: string;
  config: ResolvedConfig;
  store: StateStore;
  /** only events of this model (and version) are used */
  modelId?: string;
  modelVersion?: string;
  stdin: Readable;
  /** told of every line read (src/cli/progress.ts) */
  progress?: Progress;
}

export interface BaselineImportSummary {
  linesRead: number;
  used: number;
  rejected: RejectionTally;
  baselines: { modelId: string; modelVersion: string; id: string; count: number; signals: number }[];
}

export async function importBaselines(opts: BaselineImportOptions): Promise<BaselineImportSummary> {
  const builder = new ReferenceBaselineBuilder(opts.config.limits);
  const summary: BaselineImportSummary = { linesRead: 0, used: 0, rejected: {}, baselines: [] };
  for await (const { line, bytes, result } of readEventLines(opts.input, opts.stdin, opts.config.limits.maxMessageBytes)) {
    summary.linesRead = line + 1;
    opts.progress?.update(summary.linesRead, bytes);
    if (!result.ok) {
      tallyRejection(summary.rejected, result.reason, line);
      continue;
    }
    if (opts.modelId !== undefined && result.event.modelId !== opts.modelId) continue;
    if (opts.modelVersion !== undefined && result.event.modelVersion !== opts.modelVersion) continue;
    builder.add(result.event);
    summary.used++;
  }
  const label = opts.input === "-" ? "stdin" : (opts.input.split("/").pop() ?? opts.input);
  for (const { modelId, modelVersion, baseline } of builder.build(label)) {
    await opts.store.putReferenceBaseline(modelId, modelVersion, encodeBaseline(modelId, modelVersion, baseline));
    summary.baselines.push({
      modelId,
      modelVersion,
      id: baseline.id,
      count: baseline.count,
      signals: baseline.signals.numeric.size + baseline.signals.categorical.size,
    });
  }
  return summary;
}

export function formatBaselineImportSummary(s: BaselineImportSummary): string {
  const lines = [`baseline import: ${s.linesRead} lines read, ${s.used} events used`];
  for (const [reason, r] of Object.entries(s.rejected))
    lines.push(`  rejected ${reason}: ${r.count} (first lines: ${r.firstLines.join(", ")})`);
  for (const b of s.baselines) lines.push(`  stored ${b.id}: ${b.count} events, ${b.signals} signals`);
  if (s.baselines.length === 0) lines.push("  no baseline stored (no matching events)");
  return lines.join("\n");
}
