// Seeded pseudo-random numbers for tests and benchmarks (mulberry32 + Box–Muller): the same seed gives the
// same stream on every machine, so statistical tests cannot flake.

export interface Random {
  uniform(): number;
  normal(mean?: number, sd?: number): number;
  int(maxExclusive: number): number;
}

/** mulberry32: a small, fast, deterministic 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededRandom(seed: number): Random {
  let spare: number | null = null;
  const uniform = mulberry32(seed);
  const normal = (mean = 0, sd = 1) => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return mean + sd * s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return mean + sd * r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal, int: (n) => Math.floor(uniform() * n) };
}
