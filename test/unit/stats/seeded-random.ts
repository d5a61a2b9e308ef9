// Seeded PRNG for the stats tests: mulberry32 uniforms and Box–Muller normals (deterministic runs).
import { mulberry32 } from "../../support/random.ts";
export interface SeededRandom {
  uniform(): number;
  normal(): number;
}

export function seededRandom(seed: number): SeededRandom {
  let spare: number | undefined;
  const uniform = mulberry32(seed);
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - uniform(); // (0, 1]
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
  return { uniform, normal };
}
