// `drift-detector status`: per model version, what the service's persisted state says — status, open
// incident, last closed window, the reference and rolling baselines and their ages — read from Redis
// (stored-state.ts; read-only). Ages are event time: the partition's watermark minus the end of the data
// a baseline was built from, the same clock retrain.maxAgeMs uses. A human table, or JSON (--json).
import type { ResolvedConfig } from "../config/load.ts";
import type { PartitionState } from "../detect/engine.ts";
import type { LastWindow } from "../detect/engine.ts";
import type { Status } from "../events/types.ts";
import { byModelVersion, isoTime, storedVersions, summariseVersion } from "./stored-state.ts";

export interface VersionStatus {
  modelId: string;
  modelVersion: string;
  status: Status;
  /** partitions holding state of this version */
  partitions: number[];
  incident: { id: string; start: number; windows: number; peakStatus: Status } | null;
  lastWindow: LastWindow | null;
  windowsClosed: number;
  reference:
    | { state: "pinned"; id: string; source: string; count: number; start: number; end: number; ageMs: number | null }
    | { state: "warmup"; windows: number; of: number };
  rolling: { windows: number; count: number; end: number | null; ageMs: number | null };
  /** event time of the version's latest event */
  lastEventTime: number | null;
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

export function formatStatusTable(rows: readonly VersionStatus[]): string {
  if (rows.length === 0) return "status: no model state in Redis for this group and topic (has the service processed events?)";
  const header = ["MODEL", "VERSION", "STATUS", "INCIDENT", "LAST WINDOW", "REFERENCE", "REF AGE", "ROLLING", "ROLL AGE"];
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
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  return [header, ...body]
    .map((row) =>
      row
        .map((c, i) => c.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
