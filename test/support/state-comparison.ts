// Comparing stored engine state with an uninterrupted run, with failures that name where they differ.
import { expect } from "vitest";

/** The first path where two JSON values differ (for a readable failure), or undefined when equal. */
export function firstDifference(a: unknown, b: unknown, path = "$"): string | undefined {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null))
    return `${path}: ${JSON.stringify(a)?.slice(0, 200)} vs ${JSON.stringify(b)?.slice(0, 200)}`;
  if (typeof a !== "object" || a === null)
    return a === b ? undefined : `${path}: ${JSON.stringify(a)?.slice(0, 200)} vs ${JSON.stringify(b)?.slice(0, 200)}`;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const k of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
    const d = firstDifference(ra[k], rb[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}

/** Equal encodings, or a failure naming where the decoded JSON differs. */
export function expectSameEncoding(got: Uint8Array, expected: Uint8Array, what: string): void {
  if (Buffer.from(got).equals(Buffer.from(expected))) return;
  const text = (u: Uint8Array) => JSON.parse(Buffer.from(u).toString("utf8")) as unknown;
  expect.fail(`${what} differs from the uninterrupted run at ${firstDifference(text(got), text(expected)) ?? "(byte order only)"}`);
}
