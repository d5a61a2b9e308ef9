// Builds sketches for the stats tests through the real sketch API.
import { addNumeric, addNumericMissing, createNumericSketch } from "../../src/sketch/numeric-sketch.ts";
import type { NumericSketch } from "../../src/sketch/numeric-sketch.ts";
import { addCategory, createCategoryCounts, OTHER_CATEGORY } from "../../src/sketch/categories.ts";
import type { CategoryCounts } from "../../src/sketch/categories.ts";

export function numericSketchOf(values: ArrayLike<number>, missing = 0, compression?: number): NumericSketch {
  const s = createNumericSketch(compression);
  for (let i = 0; i < values.length; i++) addNumeric(s, values[i]);
  for (let i = 0; i < missing; i++) addNumericMissing(s);
  return s;
}

/** Category counts with the given multiplicities; the OTHER_CATEGORY key is fed as literal values. */
export function categoryCountsOf(counts: Record<string, number>): CategoryCounts {
  const c = createCategoryCounts(Math.max(50, Object.keys(counts).length + 1));
  for (const [name, count] of Object.entries(counts)) {
    for (let i = 0; i < count; i++) addCategory(c, name === OTHER_CATEGORY ? OTHER_CATEGORY : name);
  }
  return c;
}
