// STUB — running moments (Welford) plus missing count. Implementation owned by the sketch work.
export interface Moments {
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  missing: number;
}
export function createMoments(): Moments {
  throw new Error("not implemented");
}
export function addToMoments(_m: Moments, _x: number): void {
  throw new Error("not implemented");
}
export function addMissingToMoments(_m: Moments): void {
  throw new Error("not implemented");
}
export function mergeMoments(_list: readonly Moments[]): Moments {
  throw new Error("not implemented");
}
/** Population variance (m2 / count); 0 when count < 2. */
export function varianceOf(_m: Moments): number {
  throw new Error("not implemented");
}
export function stdOf(_m: Moments): number {
  throw new Error("not implemented");
}
