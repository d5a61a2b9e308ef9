// Drift statistics between two category-count sketches.
import { OTHER_CATEGORY } from "../sketch/categories.ts";
import type { CategoryCounts } from "../sketch/categories.ts";
import { jensenShannonDistance } from "./binned.ts";
import { chiSquarePValue } from "./chi-square.ts";

export interface CategoricalStatistics {
  chiSquare: number;
  chiSquarePValue: number;
  degreesOfFreedom: number;
  /** Jensen–Shannon distance (base 2) between category shares */
  jsDistance: number;
  /** max over categories of |share_cur − share_ref| */
  lInf: number;
}

/**
 * Chi-square test of homogeneity on the 2×K table (reference, current) over the union of categories with
 * a positive total, OTHER_CATEGORY included (no Yates correction); dof = K − 1; plus the base-2 JS
 * distance and L∞ between the share vectors. Missing values are not a category: shares are over counted
 * values only. Either side without values, or K < 2 ⇒ chiSquare 0, p-value 1, dof 0 (JS/L∞ still computed
 * when both sides have values — they are 0 for K = 1).
 */
export function categoricalStatistics(reference: CategoryCounts, current: CategoryCounts): CategoricalStatistics {
  const ref = countsWithOther(reference);
  const cur = countsWithOther(current);
  const refTotal = sum(ref.values());
  const curTotal = sum(cur.values());
  if (refTotal === 0 || curTotal === 0) {
    return { chiSquare: 0, chiSquarePValue: 1, degreesOfFreedom: 0, jsDistance: 0, lInf: 0 };
  }
  const names = [...new Set([...ref.keys(), ...cur.keys()])].sort();
  const refCounts: number[] = [];
  const curCounts: number[] = [];
  for (const name of names) {
    const r = ref.get(name) ?? 0;
    const c = cur.get(name) ?? 0;
    if (r + c > 0) {
      refCounts.push(r);
      curCounts.push(c);
    }
  }
  // Float64Arrays, like the numeric bins' proportions: the divergences read arrays of one kind only (an
  // all-integer share vector made a small-integer array, and the readers deoptimised on it)
  const refShares = new Float64Array(refCounts.length);
  const curShares = new Float64Array(curCounts.length);
  for (let i = 0; i < refCounts.length; i++) {
    refShares[i] = refCounts[i] / refTotal;
    curShares[i] = curCounts[i] / curTotal;
  }
  let lInf = 0;
  for (let i = 0; i < refShares.length; i++) lInf = Math.max(lInf, Math.abs(curShares[i] - refShares[i]));
  const jsDistance = jensenShannonDistance(refShares, curShares);
  const k = refCounts.length;
  if (k < 2) return { chiSquare: 0, chiSquarePValue: 1, degreesOfFreedom: 0, jsDistance, lInf };

  const total = refTotal + curTotal;
  let chiSquare = 0;
  for (let i = 0; i < k; i++) {
    const column = refCounts[i] + curCounts[i];
    const expectedRef = (refTotal * column) / total;
    const expectedCur = (curTotal * column) / total;
    chiSquare += (refCounts[i] - expectedRef) ** 2 / expectedRef + (curCounts[i] - expectedCur) ** 2 / expectedCur;
  }
  const degreesOfFreedom = k - 1;
  return { chiSquare, chiSquarePValue: chiSquarePValue(chiSquare, degreesOfFreedom), degreesOfFreedom, jsDistance, lInf };
}

/** Named counts plus the folded `other` count under OTHER_CATEGORY (zero counts dropped). */
function countsWithOther(c: CategoryCounts): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, count] of c.counts) if (count > 0) out.set(name, count);
  if (c.other > 0) out.set(OTHER_CATEGORY, (out.get(OTHER_CATEGORY) ?? 0) + c.other);
  return out;
}

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
