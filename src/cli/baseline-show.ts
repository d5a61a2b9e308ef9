// `drift-detector baseline show`: what a model version's reference (and its rolling baseline) holds —
// per signal the counts, quantiles (from the t-digest) and mean/σ/min/max (exact moments) of numbers, the
// category counts of categories — from the state the service persisted (read-only).
import type { Baseline } from "../baseline/baseline.ts";
import { rollingBaselineOf } from "../baseline/rolling.ts";
import type { ResolvedConfig } from "../config/load.ts";
import type { PartitionState } from "../detect/engine.ts";
import { quantileAt } from "../sketch/cdf-model.ts";
import { OTHER_CATEGORY } from "../sketch/categories.ts";
import { stdOf } from "../sketch/moments.ts";
import { isoTime, storedVersions } from "./stored-state.ts";

export const SHOWN_QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;
/** categories listed per signal in the table (--json lists all) */
const TABLE_CATEGORIES = 10;

export interface NumericSignalView {
  signal: string;
  kind: "numeric";
  count: number;
  missing: number;
  mean: number | null;
  sd: number | null;
  min: number | null;
  max: number | null;
  /** "p50" → value */
  quantiles: Record<string, number>;
}

export interface CategoricalSignalView {
  signal: string;
  kind: "categorical";
  total: number;
  missing: number;
  /** most frequent first; OTHER_CATEGORY holds what the cap folded */
  categories: { value: string; count: number; share: number }[];
}

export interface BaselineView {
  kind: "reference" | "rolling";
  id: string;
  source: string;
  count: number;
  start: number;
  end: number;
  signals: (NumericSignalView | CategoricalSignalView)[];
}

export interface VersionBaselines {
  modelId: string;
  modelVersion: string;
  partition: number;
  reference: BaselineView | null;
  /** warmup progress while there is no reference */
  warmupWindows: number;
  rolling: BaselineView | null;
}

export function viewOf(b: Baseline): BaselineView {
  const signals: BaselineView["signals"] = [];
  for (const [signal, s] of [...b.signals.numeric].sort(([a], [c]) => (a < c ? -1 : 1))) {
    const n = s.moments.count;
    const quantiles: Record<string, number> = {};
    if (n > 0) for (const q of SHOWN_QUANTILES) quantiles[`p${Math.round(q * 100)}`] = quantileAt(s.digest, q);
    signals.push({
      signal,
      kind: "numeric",
      count: n,
      missing: s.moments.missing,
      mean: n > 0 ? s.moments.mean : null,
      sd: n > 1 ? stdOf(s.moments) : null,
      min: n > 0 ? s.moments.min : null,
      max: n > 0 ? s.moments.max : null,
      quantiles,
    });
  }
  for (const [signal, c] of [...b.signals.categorical].sort(([a], [d]) => (a < d ? -1 : 1))) {
    const present = c.total - c.missing;
    const entries = [...c.counts].map(([value, count]) => ({ value, count }));
    if (c.other > 0) entries.push({ value: OTHER_CATEGORY, count: c.other });
    entries.sort((x, y) => y.count - x.count || (x.value < y.value ? -1 : 1));
    signals.push({
      signal,
      kind: "categorical",
      total: c.total,
      missing: c.missing,
      categories: entries.map((e) => ({ ...e, share: present > 0 ? e.count / present : 0 })),
    });
  }
  return { kind: b.kind, id: b.id, source: b.source, count: b.count, start: b.start, end: b.end, signals };
}

export function versionBaselines(
  states: readonly PartitionState[],
  config: ResolvedConfig,
  modelId: string,
  modelVersion?: string,
): VersionBaselines[] {
  return storedVersions(states, modelId)
    .filter((v) => modelVersion === undefined || v.version.modelVersion === modelVersion)
    .map(({ partition, model, version }) => {
      const rolling = rollingBaselineOf(version.rolling, model.modelId, version.modelVersion, config.limits);
      return {
        modelId: model.modelId,
        modelVersion: version.modelVersion,
        partition,
        reference: version.reference === null ? null : viewOf(version.reference),
        warmupWindows: version.warmup.length,
        rolling: rolling === null ? null : viewOf(rolling),
      };
    });
}

const num = (x: number | null) => (x === null ? "-" : Number.isInteger(x) ? String(x) : x.toPrecision(4));

function formatBaseline(b: BaselineView): string[] {
  const lines = [`  ${b.kind} ${b.id} (${b.source}): ${b.count} events, ${isoTime(b.start)} .. ${isoTime(b.end)}`];
  for (const s of b.signals) {
    if (s.kind === "numeric") {
      const q = Object.entries(s.quantiles)
        .map(([k, v]) => `${k}=${num(v)}`)
        .join(" ");
      lines.push(
        `    ${s.signal}: n=${s.count} missing=${s.missing} mean=${num(s.mean)} sd=${num(s.sd)} min=${num(s.min)} max=${num(s.max)} ${q}`,
      );
    } else {
      const shown = s.categories.slice(0, TABLE_CATEGORIES).map((c) => `${c.value}=${c.count} (${(100 * c.share).toFixed(1)}%)`);
      const more = s.categories.length > TABLE_CATEGORIES ? ` … ${s.categories.length - TABLE_CATEGORIES} more` : "";
      lines.push(`    ${s.signal}: n=${s.total - s.missing} missing=${s.missing} ${shown.join(" ")}${more}`);
    }
  }
  return lines;
}

export function formatVersionBaselines(list: readonly VersionBaselines[]): string {
  const out: string[] = [];
  for (const v of list) {
    out.push(`${v.modelId}@${v.modelVersion} (partition ${v.partition})`);
    if (v.reference === null) out.push(`  reference: none yet (warmup: ${v.warmupWindows} windows collected)`);
    else out.push(...formatBaseline(v.reference));
    if (v.rolling === null) out.push("  rolling: empty");
    else out.push(...formatBaseline(v.rolling));
  }
  return out.join("\n");
}
