// `drift-detector status`: per model version, what the service's persisted state says — status, open
// incident, last closed window, the reference and rolling baselines and their ages — read from Redis
// (stored-state.ts; read-only). Ages are event time: the partition's watermark minus the end of the data
// a baseline was built from, the same clock retrain.maxAgeMs uses. With outcomes, also the performance
// signal: its status and incident, the last window of joined outcomes, the performance reference, the
// label-free estimate of the last prediction window and the model's join counters. A human table (plus a
// performance line per version that has one), or JSON (--json).
import type { ResolvedConfig } from "../config/load.ts";
import type { PartitionState } from "../detect/engine.ts";
import type { LastWindow } from "../detect/engine.ts";
import type { Status } from "../events/types.ts";
import { createJoinCounters, type JoinCounters } from "../outcomes/join.ts";
import type { PerformanceSummary } from "../outcomes/performance.ts";
import type { LastPerformanceWindow } from "../outcomes/tracker.ts";
import { byModelVersion, isoTime, storedVersions, summariseVersion, type StoredVersion } from "./stored-state.ts";
import { parseSegmentSignal } from "../windows/segments.ts";

/** `segment:<key>=<segment>/performance` → `<key>=<segment>` */
function segmentLabel(signal: string): string {
  const p = parseSegmentSignal(signal);
  return p === null ? signal : `${p.key}=${p.segment}`;
}

export interface IncidentSummary {
  id: string;
  start: number;
  windows: number;
  peakStatus: Status;
}

/** The performance signal of a version as persisted (ModelState.outcomes); null without outcome state. */
export interface VersionPerformance {
  /** status of the performance signal after hysteresis */
  status: Status;
  incident: IncidentSummary | null;
  windowsClosed: number;
  /** the last closed window of joined outcomes: accuracy, error rate, recall or MAE/RMSE, ECE, label delays */
  lastWindow: LastPerformanceWindow | null;
  reference:
    { state: "pinned"; id: string; windows: number; summary: PerformanceSummary } | { state: "warmup"; windows: number; of: number };
  /** label-free accuracy estimate of the last prediction window (from calibrated confidence); null before a reference */
  estimatedAccuracy: number | null;
  /** the model's join (all its versions, all partitions holding it); unmatched = outcomes whose prediction never came */
  join: JoinCounters & { pending: number; earlyWaiting: number };
}

export interface VersionStatus {
  modelId: string;
  modelVersion: string;
  status: Status;
  /** partitions holding state of this version */
  partitions: number[];
  incident: IncidentSummary | null;
  lastWindow: LastWindow | null;
  windowsClosed: number;
  reference:
    | { state: "pinned"; id: string; source: string; count: number; start: number; end: number; ageMs: number | null }
    | { state: "warmup"; windows: number; of: number };
  rolling: { windows: number; count: number; end: number | null; ageMs: number | null };
  /** event time of the version's latest event */
  lastEventTime: number | null;
  performance: VersionPerformance | null;
}

function performanceOf(parts: readonly StoredVersion[], config: ResolvedConfig, lastWindow: LastWindow | null): VersionPerformance | null {
  const modelVersion = parts[0].version.modelVersion;
  const states = parts.flatMap((p) => {
    const v = p.model.outcomes?.versions.get(modelVersion);
    return v === undefined ? [] : [v];
  });
  const joins = parts.flatMap((p) => (p.model.outcomes === undefined ? [] : [p.model.outcomes.join]));
  if (states.length === 0 && joins.length === 0) return null;
  const join: VersionPerformance["join"] = { ...createJoinCounters(), pending: 0, earlyWaiting: 0 };
  for (const j of joins) {
    for (const [k, n] of Object.entries(j.counters) as [keyof JoinCounters, number][]) join[k] += n;
    join.pending += j.pending.size;
    join.earlyWaiting += j.early.size;
  }
  // over several partitions, the one whose outcomes are latest speaks for the version
  const main = states.length === 0 ? undefined : states.reduce((a, b) => (b.lastOutcomeTime > a.lastOutcomeTime ? b : a));
  const open = states.map((v) => v.incident).find((i) => i?.open === true) ?? null;
  const settings = config.settingsFor(parts[0].model.modelId);
  return {
    status: main?.hysteresis.status ?? "ok",
    incident: open === null ? null : { id: open.id, start: open.start, windows: open.windows, peakStatus: open.peakStatus },
    windowsClosed: states.reduce((n, v) => n + v.windowsClosed, 0),
    lastWindow: main?.lastWindow ?? null,
    reference:
      main?.reference == null
        ? { state: "warmup", windows: main?.warmup.length ?? 0, of: settings.performance.referenceWindows }
        : { state: "pinned", id: main.reference.id, windows: main.reference.windows.length, summary: main.reference.summary },
    estimatedAccuracy: lastWindow?.estimatedAccuracy ?? null,
    join,
  };
}

export function versionStatuses(states: readonly PartitionState[], config: ResolvedConfig, modelId?: string): VersionStatus[] {
  return byModelVersion(storedVersions(states, modelId)).map((parts) => {
    const summary = summariseVersion(parts);
    const settings = config.settingsFor(summary.modelId);
    // a version keyed by modelId lives in one partition; over several, the one with the latest events speaks for it
    const main = parts.reduce((a, b) => (b.version.lastEventTime > a.version.lastEventTime ? b : a));
    const v = main.version;
    const watermark = Number.isFinite(main.watermark) ? main.watermark : null;
    const age = (end: number) => (watermark === null ? null : watermark - end);
    const open = parts.map((p) => p.version.incident).find((i) => i?.open === true) ?? null;
    const rollingWindows = v.rolling.windows;
    const rollingEnd = rollingWindows.length === 0 ? null : Math.max(...rollingWindows.map((w) => w.end));
    return {
      modelId: summary.modelId,
      modelVersion: summary.modelVersion,
      status: summary.status,
      partitions: parts.map((p) => p.partition),
      incident: open === null ? null : { id: open.id, start: open.start, windows: open.windows, peakStatus: open.peakStatus },
      lastWindow: summary.lastWindow,
      windowsClosed: parts.reduce((n, p) => n + p.version.windowsClosed, 0),
      reference:
        v.reference === null
          ? { state: "warmup", windows: v.warmup.length, of: settings.baseline.warmupWindows }
          : {
              state: "pinned",
              id: v.reference.id,
              source: v.reference.source,
              count: v.reference.count,
              start: v.reference.start,
              end: v.reference.end,
              ageMs: age(v.reference.end),
            },
      rolling: {
        windows: rollingWindows.length,
        count: rollingWindows.reduce((n, w) => n + w.count, 0),
        end: rollingEnd,
        ageMs: rollingEnd === null ? null : age(rollingEnd),
      },
      lastEventTime: Number.isFinite(summary.lastEventTime) ? summary.lastEventTime : null,
      performance: performanceOf(parts, config, summary.lastWindow),
    };
  });
}

/** "1d2h", "3h05m", "12m30s", "45s", "800ms" */
export function formatDuration(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  const [d, h, m, sec] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60), s % 60];
  if (d > 0) return `${d}d${h}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, "0")}s`;
  return `${sec}s`;
}

const fixed = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(4));

/** The headline metrics of a performance summary: accuracy / error rate / ECE / recall, MAE / RMSE, outcomes. */
export function formatPerformanceSummary(s: PerformanceSummary): string {
  const parts: string[] = [];
  if (s.accuracy !== undefined) {
    parts.push(`accuracy=${fixed(s.accuracy)} errorRate=${fixed(s.errorRate)}`);
    if (s.ece !== undefined) parts.push(`ece=${fixed(s.ece)}`);
    const recall = Object.entries(s.recall).map(([c, r]) => `${c}=${fixed(r)}`);
    if (recall.length > 0) parts.push(`recall ${recall.join(" ")}`);
  }
  if (s.mae !== undefined) parts.push(`mae=${fixed(s.mae)} rmse=${fixed(s.rmse)}`);
  parts.push(`n=${s.outcomes}`);
  if (s.labelDelayMs !== null) {
    const d = s.labelDelayMs;
    parts.push(`label delay p50=${formatDuration(d.p50)} p90=${formatDuration(d.p90)} p99=${formatDuration(d.p99)}`);
  }
  return parts.join(" ");
}

/** One line per version with performance state: the performance signal, its last window, reference, estimate and join. */
export function formatPerformanceLine(r: VersionStatus): string | null {
  const p = r.performance;
  if (p === null) return null;
  const incident =
    p.incident === null ? "" : ` incident ${p.incident.id.slice(0, 12)} (${p.incident.windows} windows, peak ${p.incident.peakStatus})`;
  const last =
    p.lastWindow === null
      ? "no window of joined outcomes yet"
      : `last ${p.lastWindow.id.split("/").pop()} ${isoTime(p.lastWindow.end)} ${p.lastWindow.level ?? "-"}: ${formatPerformanceSummary(p.lastWindow.summary)}`;
  const reference =
    p.reference.state === "warmup"
      ? `reference warmup ${p.reference.windows}/${p.reference.of}`
      : `reference (${p.reference.windows} windows): ${formatPerformanceSummary(p.reference.summary)}`;
  const estimate = `estimated accuracy ${p.estimatedAccuracy === null ? "-" : fixed(p.estimatedAccuracy)}`;
  const j = p.join;
  const join =
    `join matched=${j.matched} expired=${j.expired} unmatched=${j.unknown} pending=${j.pending} early=${j.earlyWaiting} ` +
    `tooLate=${j.tooLate} duplicates=${j.duplicateOutcomes}`;
  const segments = (p.lastWindow?.segments ?? []).map((s) => {
    const metric =
      s.accuracy !== undefined
        ? ` acc=${fixed(s.accuracy)} ref=${fixed(s.referenceAccuracy)}`
        : s.mae !== undefined
          ? ` mae=${fixed(s.mae)} ref=${fixed(s.referenceMae)}`
          : "";
    return `${segmentLabel(s.signal)} ${s.status}${metric} n=${s.outcomes}`;
  });
  const bySegment = segments.length === 0 ? "" : `; segments ${segments.join(", ")}`;
  return `${r.modelId} ${r.modelVersion} performance ${p.status}${incident}; ${last}${bySegment}; ${reference}; ${estimate}; ${join}`;
}

export function formatStatusTable(rows: readonly VersionStatus[]): string {
  if (rows.length === 0) return "status: no model state in Redis for this group and topic (has the service processed events?)";
  const header = ["MODEL", "VERSION", "STATUS", "INCIDENT", "LAST WINDOW", "REFERENCE", "REF AGE", "ROLLING", "ROLL AGE", "PERFORMANCE"];
  const body = rows.map((r) => [
    r.modelId,
    r.modelVersion,
    r.status,
    r.incident === null ? "-" : `${r.incident.id.slice(0, 12)} (${r.incident.windows} windows, peak ${r.incident.peakStatus})`,
    r.lastWindow === null
      ? "-"
      : `${r.lastWindow.id.split("/").pop()} ${isoTime(r.lastWindow.end)} n=${r.lastWindow.count} ${r.lastWindow.level ?? "warmup"}`,
    r.reference.state === "warmup" ? `warmup ${r.reference.windows}/${r.reference.of}` : `${r.reference.source} n=${r.reference.count}`,
    r.reference.state === "warmup" ? "-" : formatDuration(r.reference.ageMs),
    `${r.rolling.windows} windows n=${r.rolling.count}`,
    formatDuration(r.rolling.ageMs),
    r.performance === null ? "-" : performanceCell(r.performance),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const table = [header, ...body].map((row) =>
    row
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd(),
  );
  const details = rows.map(formatPerformanceLine).filter((line): line is string => line !== null);
  return [...table, ...(details.length === 0 ? [] : ["", ...details])].join("\n");
}

/** The table's cell: the performance status and the last window's headline metric against the reference's. */
function performanceCell(p: VersionPerformance): string {
  const last = p.lastWindow?.summary;
  const ref = p.reference.state === "pinned" ? p.reference.summary : undefined;
  if (last?.accuracy !== undefined) return `${p.status} acc=${fixed(last.accuracy)} ref=${fixed(ref?.accuracy)}`;
  if (last?.mae !== undefined) return `${p.status} mae=${fixed(last.mae)} ref=${fixed(ref?.mae)}`;
  return p.status;
}
