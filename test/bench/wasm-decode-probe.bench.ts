// Whether a WebAssembly decoder could take replay's CLI on the demo file under issue 9's target (≤ ~1.33× the
// readline + JSON.parse loop), which JavaScript cannot: Node's start plus a cold decode in JS already take
// ~1.15× the loop (deploy/docs/measurements.md, sessions 20–21). Fresh child processes, interleaved rounds:
// `node -e 0`, the loop, the loop over one read of the file, a freestanding C tokeniser compiled to Wasm
// (wasm-probe/scan-json-lines.c: the lower bound of a Wasm decoder, it validates nothing and builds no
// objects), and the compiled CLI's replay of the file and of its first 3 lines (the CLI's own start).
// clang and wasm-ld come from Debian's clang and lld packages (deploy/local/examples.sh ensure wasm-clang).
// Run: npx tsx test/bench/wasm-decode-probe.bench.ts [file.jsonl]   — prints one JSON object per line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childNode, childTimed, median, medianOf, parseLoopScript, type Timing } from "./replay-timing.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const BIN = join(ROOT, "src/cli/bin.js");
const FILE = process.argv[2] ?? join(ROOT, "test/fixtures/demo/predictions.jsonl");
const SOURCE = join(ROOT, "test/bench/wasm-probe/scan-json-lines.c");
const ROUNDS = 9;

/** clang with wasm-ld beside it (Debian's clang and lld), installed when missing: `examples.sh ensure wasm-clang`. */
function wasmClang(): string {
  const out = execFileSync("bash", [join(ROOT, "deploy/local/examples.sh"), "ensure", "wasm-clang"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return out.trim().split("\n").pop()!;
}

/** A `node -e` script: the whole file read, copied into the module's memory and scanned; prints its timings. */
function probeScript(wasm: string, file: string): string {
  return `const fs=require("node:fs");const t0=performance.now();const bytes=fs.readFileSync(${JSON.stringify(file)});
const m=new WebAssembly.Instance(new WebAssembly.Module(fs.readFileSync(${JSON.stringify(wasm)})),{}).exports;
const at=m.input_base();const need=at+bytes.length+1;const have=m.memory.buffer.byteLength;
if(have<need)m.memory.grow(Math.ceil((need-have)/65536));
const mem=new Uint8Array(m.memory.buffer);mem.set(bytes,at);mem[at+bytes.length]=10;
const t1=performance.now();const lines=m.scan_lines(bytes.length);const t2=performance.now();
console.log(JSON.stringify({lines,keys:m.key_count(),readMs:t1-t0,scanMs:t2-t1}));`;
}

/** The loop over one synchronous read of the file (no readline): JSON.parse's own share of the loop. */
const readParseScript = (file: string): string =>
  `const s=require("node:fs").readFileSync(${JSON.stringify(file)},"utf8");let n=0;
for(const l of s.split("\\n"))if(l!==""&&JSON.parse(l).eventId!==undefined)n++;console.log(n);`;

const clang = wasmClang();
execFileSync("npm", ["run", "--silent", "build"], { cwd: ROOT, stdio: "ignore" });
const dir = mkdtempSync(join(tmpdir(), "wasm-decode-probe-"));
try {
  const wasm = join(dir, "scan-json-lines.wasm");
  const exported = ["scan_lines", "input_base", "key_count"].map((name) => `-Wl,--export=${name}`);
  execFileSync(clang, ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", ...exported, "-o", wasm, SOURCE]);
  const threeLines = join(dir, "three.jsonl");
  writeFileSync(threeLines, readFileSync(FILE, "utf8").split("\n").slice(0, 3).join("\n") + "\n");

  const bare: Timing[] = [];
  const loop: Timing[] = [];
  const readParse: Timing[] = [];
  const probe: Timing[] = [];
  const replay: Timing[] = [];
  const replayStart: Timing[] = [];
  const scanMs: number[] = [];
  let loopLines = 0;
  let probeLines = 0;
  for (let r = 0; r < ROUNDS; r++) {
    bare.push(childNode(["-e", "0"]));
    const l = childTimed("node", ["-e", parseLoopScript(FILE)], {}, undefined, true);
    loop.push(l);
    loopLines = Number(l.stdout.trim());
    readParse.push(childNode(["-e", readParseScript(FILE)]));
    const p = childTimed("node", ["-e", probeScript(wasm, FILE)], {}, undefined, true);
    probe.push(p);
    const reported = JSON.parse(p.stdout) as { lines: number; scanMs: number };
    probeLines = reported.lines;
    scanMs.push(reported.scanMs);
    replay.push(childNode([BIN, "replay", "--input", FILE], { DRIFT_DETECTOR_SOURCES: "0" }));
    replayStart.push(childNode([BIN, "replay", "--input", threeLines], { DRIFT_DETECTOR_SOURCES: "0" }));
  }
  // the probe must have read the lines the loop parsed, or its time means nothing
  if (probeLines !== loopLines) throw new Error(`the Wasm probe read ${probeLines} lines, the loop ${loopLines}`);
  const loopWall = medianOf(loop, "wallMs");
  const row = (name: string, t: Timing[], extra: Record<string, number> = {}) =>
    console.log(
      JSON.stringify({
        bench: "wasm-decode-probe",
        name,
        lines: loopLines,
        rounds: ROUNDS,
        wallMs: Math.round(medianOf(t, "wallMs")),
        cpuMs: Math.round(medianOf(t, "cpuMs")),
        wallRatioToLoop: Number((medianOf(t, "wallMs") / loopWall).toFixed(2)),
        ...extra,
      }),
    );
  row("node -e 0 (the process start every row pays)", bare);
  row("node readline + JSON.parse loop (the replay benchmarks' baseline)", loop);
  row("node: one readFileSync, split, JSON.parse per line", readParse);
  row("node: one readFileSync, the Wasm tokeniser over the bytes (a decoder's lower bound)", probe, {
    scanMsInProcess: Number(median(scanMs).toFixed(1)),
  });
  row("drift-detector replay (compiled CLI) of the file's first 3 lines: the CLI's own start", replayStart, { lines: 3 });
  row("drift-detector replay (compiled CLI)", replay);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
