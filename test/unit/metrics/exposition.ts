// Minimal parser for the Prometheus text exposition format, so tests assert on series and values rather
// than on string fragments. Handles the subset prom-client writes: `name{a="x",b="y"} value`.
export type Exposition = Map<string, number>;

function unescapeLabel(v: string): string {
  return v.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));
}

/** Canonical key: name{k1="v1",k2="v2"} with label names sorted. */
export function seriesId(name: string, labels: Record<string, string> = {}): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return name;
  return `${name}{${keys.map((k) => `${k}="${labels[k]}"`).join(",")}}`;
}

export function parseExposition(text: string): Exposition {
  const out: Exposition = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (m === null) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2] !== undefined && m[2] !== "") {
      for (const lm of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = unescapeLabel(lm[2]);
    }
    out.set(seriesId(m[1], labels), Number(m[3]));
  }
  return out;
}

/** Series of one metric name, as id → value. */
export function seriesOf(exposition: Exposition, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [id, v] of exposition) if (id === name || id.startsWith(`${name}{`)) out.set(id, v);
  return out;
}
