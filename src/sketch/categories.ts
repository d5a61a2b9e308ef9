// STUB — category counts with a top-k cap: the first `maxCategories` distinct values are counted
// individually, later new values go to OTHER_CATEGORY. Implementation owned by the sketch work.
export const OTHER_CATEGORY = "__other__";
export const DEFAULT_MAX_CATEGORIES = 50;
export interface CategoryCounts {
  maxCategories: number;
  counts: Map<string, number>;
  /** count folded into OTHER_CATEGORY because the cap was reached */
  other: number;
  /** number of values counted into `other` that were distinct new values (approximate, for data quality) */
  overflowValues: number;
  total: number;
  missing: number;
}
export function createCategoryCounts(_maxCategories: number = DEFAULT_MAX_CATEGORIES): CategoryCounts {
  throw new Error("not implemented");
}
export function addCategory(_c: CategoryCounts, _value: string): void {
  throw new Error("not implemented");
}
export function addMissingCategory(_c: CategoryCounts): void {
  throw new Error("not implemented");
}
/** Union; when the cap is exceeded the most frequent categories are kept, the rest folded into `other`. */
export function mergeCategoryCounts(_list: readonly CategoryCounts[], _maxCategories?: number): CategoryCounts {
  throw new Error("not implemented");
}
export function encodeCategoryCounts(_c: CategoryCounts): Uint8Array {
  throw new Error("not implemented");
}
export function decodeCategoryCounts(_bytes: Uint8Array): CategoryCounts {
  throw new Error("not implemented");
}
