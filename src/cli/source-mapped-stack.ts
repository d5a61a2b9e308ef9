// A crash's stack as the TypeScript sources, not the bundle: the compiled CLI is one bundled file
// (dist/cli/drift-detector.cjs) with a linked source map beside it. Mapped only when a stack is printed, so
// no command pays for reading the map at start-up (Node's --enable-source-maps would, on every run).
import { readFileSync } from "node:fs";
import { SourceMap, type SourceMapPayload, type SourceMapping } from "node:module";
import { dirname, relative, resolve } from "node:path";

/** A frame's location: `(/path/file.cjs:12:34)` or `at /path/file.cjs:12:34`. */
const FRAME_LOCATION = /(?<=\(|at )(\/[^():\n]+\.c?js):(\d+):(\d+)/g;

function sourceMapOf(file: string): SourceMap | undefined {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")) as SourceMapPayload);
  } catch {
    return undefined; // no map beside the file (the sources through tsx, node_modules): left as it is
  }
}

/** `stack` with every frame in a file that has a source map beside it shown at its source file, line and column. */
export function sourceMappedStack(stack: string, cwd: string = process.cwd()): string {
  const maps = new Map<string, SourceMap | undefined>();
  return stack.replace(FRAME_LOCATION, (location, file: string, line: string, column: string) => {
    if (!maps.has(file)) maps.set(file, sourceMapOf(file));
    // 0-based both ways; {} where the map has no entry
    const entry = maps.get(file)?.findEntry(Number(line) - 1, Number(column) - 1) as Partial<SourceMapping> | undefined;
    if (entry?.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return location;
    const source = relative(cwd, resolve(dirname(file), entry.originalSource));
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}
