// Seeded randomness for the demo generator. Every event draws from its own generator, seeded from
// (stream seed, event index), so event i is the same whatever else the stream contains (drift on or off,
// a different event count, generated from the middle).

/** A 32-bit integer hash (the splitmix32 finaliser): spreads nearby seeds far apart. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Hash of a list of integers (order matters). */
export function hashInts(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    // Split values beyond 32 bits so large indexes and seeds still hash distinctly.
    h = mix32(h ^ (v >>> 0));
    h = mix32(h ^ Math.floor(v / 0x1_0000_0000));
  }
  return h;
}

export interface Rng {
  /** uniform in [0, 1) */
  next(): number;
}

/** mulberry32: tiny, fast, good enough for synthetic data (not for cryptography). */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Standard normal draw (Box–Muller; one value per call keeps draws per event countable). */
export function standardNormal(rng: Rng): number {
  const u = 1 - rng.next(); // (0, 1]: log(0) never happens
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Poisson draw (Knuth's product method; fine for the small means the demo uses). */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

/** Index drawn with probability proportional to its weight. */
export function weightedIndex(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}
