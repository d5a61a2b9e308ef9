// Category counts with a top-k cap: the first `maxCategories` distinct values are counted individually,
// later new values go to OTHER_CATEGORY, so a bad producer cannot grow state without bound.
import { ByteReader, ByteWriter } from "./bytes.ts";

export const OTHER_CATEGORY = "__other__";
export const DEFAULT_MAX_CATEGORIES = 50;
export const CATEGORY_COUNTS_FORMAT_VERSION = 1;

export interface CategoryCounts {
  maxCategories: number;
  counts: Map<string, number>;
  /** count folded into OTHER_CATEGORY because the cap was reached */
  other: number;
  /**
   * Estimated number of distinct values counted into `other` (approximate, for data quality): linear
   * counting over `overflowSeen`, exact while small (±~5 % up to ~500, saturates near 1 400).
   */
  overflowValues: number;
  total: number;
  missing: number;
  /**
   * 256-bit set of hashed overflow values behind `overflowValues` (mergeable by OR). Optional only so that
   * hand-built fixtures stay valid; absent means "none seen".
   */
  overflowSeen?: Uint32Array;
}

const OVERFLOW_BITS = 256;

export function createCategoryCounts(maxCategories: number = DEFAULT_MAX_CATEGORIES): CategoryCounts {
  if (!Number.isSafeInteger(maxCategories) || maxCategories < 1) {
    throw new RangeError(`maxCategories must be a positive integer, got ${maxCategories}`);
  }
  return {
    maxCategories,
    counts: new Map(),
    other: 0,
    overflowValues: 0,
    total: 0,
    missing: 0,
    overflowSeen: new Uint32Array(OVERFLOW_BITS / 32),
  };
}

export function addCategory(c: CategoryCounts, value: string): void {
  c.total++;
  const n = c.counts.get(value);
  if (n !== undefined) {
    c.counts.set(value, n + 1);
  } else if (c.counts.size < c.maxCategories) {
    c.counts.set(value, 1);
  } else {
    c.other++;
    markOverflow(c, value);
  }
}

/** A missing value counts in `missing` only (not in total). */
export function addMissingCategory(c: CategoryCounts): void {
  c.missing++;
}

/**
 * Union; when more than the cap (default: the largest input cap) distinct categories remain, the most
 * frequent are kept (ties broken by name, code-unit order, so the result does not depend on input order)
 * and the rest are folded into `other`.
 */
export function mergeCategoryCounts(list: readonly CategoryCounts[], maxCategories?: number): CategoryCounts {
  const cap = maxCategories ?? (list.length === 0 ? DEFAULT_MAX_CATEGORIES : list.reduce((m, c) => Math.max(m, c.maxCategories), 1));
  const out = createCategoryCounts(cap);
  const sums = new Map<string, number>();
  for (const c of list) {
    out.other += c.other;
    out.total += c.total;
    out.missing += c.missing;
    if (c.overflowSeen !== undefined) {
      for (let i = 0; i < out.overflowSeen!.length; i++) out.overflowSeen![i] |= c.overflowSeen[i];
    }
    for (const [name, n] of c.counts) sums.set(name, (sums.get(name) ?? 0) + n);
  }
  const ranked = [...sums].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 0; i < ranked.length; i++) {
    const [name, n] = ranked[i];
    if (i < cap) {
      out.counts.set(name, n);
    } else {
      out.other += n;
      setOverflowBit(out, name);
    }
  }
  out.overflowValues = estimateOverflow(out);
  return out;
}

function hashName(value: string): number {
  // FNV-1a over UTF-16 code units: deterministic, no allocation
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % OVERFLOW_BITS;
}

function setOverflowBit(c: CategoryCounts, value: string): boolean {
  if (c.overflowSeen === undefined) c.overflowSeen = new Uint32Array(OVERFLOW_BITS / 32);
  const bit = hashName(value);
  const word = bit >>> 5;
  const mask = 1 << (bit & 31);
  if ((c.overflowSeen[word] & mask) !== 0) return false;
  c.overflowSeen[word] |= mask;
  return true;
}

function markOverflow(c: CategoryCounts, value: string): void {
  if (setOverflowBit(c, value)) c.overflowValues = estimateOverflow(c);
}

/** Linear counting: −m·ln(empty/m); saturated sets report the estimate for one empty bit. */
function estimateOverflow(c: CategoryCounts): number {
  if (c.overflowSeen === undefined) return 0;
  let set = 0;
  for (const word of c.overflowSeen) set += popcount(word);
  // +0, not Math.round(−0): a −0 is a heap number, and storing one turns the field (a small integer in every
  // other CategoryCounts) into a double field, which deoptimises the code that reads any CategoryCounts
  if (set === 0) return 0;
  const empty = Math.max(OVERFLOW_BITS - set, 1);
  return Math.round(-OVERFLOW_BITS * Math.log(empty / OVERFLOW_BITS));
}

function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

// Format v1: u8 version = 1 | varint maxCategories | varint total | varint missing | varint other
// | 32 bytes overflow bit set | varint k | k × (string name (varint length + UTF-8), varint count),
// names in ascending code-unit order so equal contents give equal bytes whatever the insertion order.

/** Versioned binary encoding (first byte = format version). */
export function encodeCategoryCounts(c: CategoryCounts): Uint8Array {
  const out = new ByteWriter(64 + c.counts.size * 16);
  out.u8(CATEGORY_COUNTS_FORMAT_VERSION);
  out.varint(c.maxCategories);
  out.varint(c.total);
  out.varint(c.missing);
  out.varint(c.other);
  const seen = new Uint8Array(OVERFLOW_BITS / 8);
  if (c.overflowSeen !== undefined) {
    for (let i = 0; i < seen.length; i++) seen[i] = (c.overflowSeen[i >>> 2] >>> ((i & 3) * 8)) & 0xff;
  }
  out.bytes(seen);
  const names = [...c.counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  out.varint(names.length);
  for (const name of names) {
    out.string(name);
    out.varint(c.counts.get(name)!);
  }
  return out.bytes();
}

/** Throws SketchDecodeError on malformed bytes or unknown version. */
export function decodeCategoryCounts(bytes: Uint8Array): CategoryCounts {
  const r = new ByteReader(bytes, "category-counts");
  const version = r.u8();
  switch (version) {
    case 1: {
      const maxCategories = r.varint();
      if (maxCategories < 1) r.fail("maxCategories must be positive");
      const c = createCategoryCounts(maxCategories);
      c.total = r.varint();
      c.missing = r.varint();
      c.other = r.varint();
      const seen = r.bytes(OVERFLOW_BITS / 8);
      for (let i = 0; i < seen.length; i++) c.overflowSeen![i >>> 2] |= seen[i] << ((i & 3) * 8);
      c.overflowValues = estimateOverflow(c);
      const k = r.varint();
      if (k > maxCategories) r.fail(`${k} categories exceed the cap ${maxCategories}`);
      let counted = c.other;
      for (let i = 0; i < k; i++) {
        const name = r.string();
        const n = r.varint();
        if (c.counts.has(name)) r.fail(`duplicate category ${JSON.stringify(name)}`);
        c.counts.set(name, n);
        counted += n;
      }
      r.expectEnd();
      if (counted !== c.total) r.fail(`category counts sum to ${counted}, total says ${c.total}`);
      return c;
    }
    default:
      return r.fail(`unknown format version ${version}`);
  }
}
