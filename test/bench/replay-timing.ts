// Timing shared by the replay benchmarks: a function's wall and CPU time in this process, a child process's
// (CPU from bash's `time`, so it counts every thread of the child), the plain readline + JSON.parse loop
// that replay is measured against, and the long stream a backtest reads.
import { spawnSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface Timing {
  wallMs: number;
  cpuMs: number;
}

export async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const used = process.cpuUsage(cpu);
  return { wallMs: performance.now() - t0, cpuMs: (used.user + used.system) / 1000 };
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The median of one field of a run of timings. */
export const medianOf = (ts: Timing[], k: keyof Timing): number => median(ts.map((t) => t[k]));

/** CPU ms (user + system) and wall ms of `node <args>` as a child process. */
export function childNode(args: string[], env: Record<string, string> = {}, cwd?: string): Timing {
  const { wallMs, cpuMs } = childTimed("node", args, env, cwd);
  return { wallMs, cpuMs };
}

/**
 * CPU ms (user + system, from bash's `time`: every thread of the child) and wall ms of `<command> <args>` as a
 * child process, and what it wrote to stdout when `keepStdout` (else stdout goes to /dev/null). Throws when
 * the child fails: a benchmark of a failed run would time its error.
 */
export function childTimed(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
  keepStdout = false,
): Timing & { stdout: string } {
  const dir = keepStdout ? mkdtempSync(join(tmpdir(), "bench-child-")) : undefined;
  const stdoutFile = dir === undefined ? "/dev/null" : join(dir, "stdout");
  const quoted = [command, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const t0 = performance.now();
  const out = spawnSync("bash", ["-c", `TIMEFORMAT='%U %S'; { time ${quoted} >'${stdoutFile}' 2>/dev/null; } 2>&1`], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    cwd,
  });
  const wallMs = performance.now() - t0;
  const [user, sys] = out.stdout.trim().split(/\s+/).map(Number);
  const stdout = dir === undefined ? "" : readFileSync(stdoutFile, "utf8");
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  if (out.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${out.status}`);
  return { wallMs, cpuMs: (user + sys) * 1000, stdout };
}

/** The lines of `file` that JSON.parse reads as an object with an eventId, read with readline. */
export async function parseLoop(file: string): Promise<number> {
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line !== "" && (JSON.parse(line) as { eventId?: string }).eventId !== undefined) n++;
  }
  return n;
}

/** parseLoop as a `node -e` script, for a child process. */
export const parseLoopScript = (file: string): string =>
  `const rl=require("node:readline").createInterface({input:require("node:fs").createReadStream(${JSON.stringify(file)}),crlfDelay:Infinity});let n=0;rl.on("line",(l)=>{if(l!==""&&JSON.parse(l).eventId!==undefined)n++});rl.on("close",()=>console.log(n));`;

/** `source` (the demo stream) `copies` times over into `path`, each copy shifted by the stream's span and its event ids suffixed. */
export function longStream(source: string, copies: number, path: string): void {
  const text = readFileSync(source, "utf8");
  const stamps = [...text.matchAll(/"timestamp":(\d+)/g)].map((x) => Number(x[1]));
  const span = Math.max(...stamps) - Math.min(...stamps) + 1000;
  const parts: string[] = [];
  for (let k = 0; k < copies; k++)
    parts.push(
      text
        .replace(/"timestamp":(\d+)/g, (_x, t: string) => `"timestamp":${Number(t) + k * span}`)
        .replace(/"eventId":"([^"]*)"/g, (_x, id: string) => `"eventId":"${id}-copy${k}"`),
    );
  writeFileSync(path, parts.join(""));
}
