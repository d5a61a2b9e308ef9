// Progress of a long CLI command (replay, baseline import) on stderr: one line, rewritten in place at most
// every PROGRESS_INTERVAL_MS, only when stderr is a terminal — piped or redirected output stays clean.
import { statSync } from "node:fs";

export const PROGRESS_INTERVAL_MS = 250;

export interface Progress {
  /** lines read so far and the input bytes they took (called per line or per read chunk) */
  update(lines: number, bytes: number): void;
  /** clears the progress line (before the summary is written) */
  done(): void;
}

interface ProgressStream {
  isTTY?: boolean;
  write(chunk: string): boolean;
}

export const NO_PROGRESS: Progress = { update() {}, done() {} };

function inputSize(input: string): number | undefined {
  if (input === "-") return undefined;
  try {
    return statSync(input).size;
  } catch {
    return undefined; // the reader reports the missing file
  }
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function createProgress(
  stream: ProgressStream,
  label: string,
  input: string,
  opts: { now?: () => number; totalBytes?: number } = {},
): Progress {
  if (stream.isTTY !== true) return NO_PROGRESS;
  const now = opts.now ?? (() => performance.now());
  const total = opts.totalBytes ?? inputSize(input);
  let last = now();
  let shown = false;
  return {
    update(lines, bytes) {
      const t = now();
      if (t - last < PROGRESS_INTERVAL_MS) return;
      last = t;
      const share =
        total !== undefined && total > 0
          ? ` ${Math.min(100, Math.floor((bytes / total) * 100))} % (${megabytes(bytes)} of ${megabytes(total)})`
          : ` ${megabytes(bytes)}`;
      stream.write(`\r${label}: ${lines} lines,${share}\x1b[K`);
      shown = true;
    },
    done() {
      if (shown) stream.write("\r\x1b[K");
      shown = false;
    },
  };
}
