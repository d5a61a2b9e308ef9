// Loader for the committed oracle outputs of test/fixtures/oracle/make_stats_fixtures.py.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const ROOT = new URL("../../fixtures/stats/", import.meta.url);

export interface NumericOracleCase {
  name: string;
  description: string;
  reference: { file: string; count: number };
  current: { file: string; count: number };
  exact: {
    psi: number;
    /** exact PSI under each of numpy's 13 quantile definitions for the deciles: its range */
    psiAcrossQuantileDefinitions: { min: number; max: number };
    psiBins: number;
    jsDistance: number;
    hellinger: number;
    ks: number;
    ksPValueScipy: number;
    ksPValueStephens: number;
    wasserstein: number;
    meanShiftSigma: number;
    meanSigmaScore: number;
    edges: number[];
  };
}

export interface CategoricalOracleCase {
  name: string;
  description: string;
  reference: Record<string, number>;
  current: Record<string, number>;
  exact: { chiSquare: number; chiSquarePValue: number; degreesOfFreedom: number; jsDistance: number; lInf: number };
}

export interface OracleThresholds {
  ksCritical: { n: number; m: number; alpha: number; value: number }[];
  psiCritical: { n: number; m: number; alpha: number; bins: number; value: number }[];
  chiSquareSurvival: { x: number; dof: number; value: number }[];
  chiSquareQuantile: { upperTail: number; dof: number; value: number }[];
  kolmogorov: { lambda: number; value: number }[];
}

export interface OracleFile {
  psiEpsilon: number;
  numeric: NumericOracleCase[];
  categorical: CategoricalOracleCase[];
  thresholds: OracleThresholds;
}

export function loadOracle(): OracleFile {
  return JSON.parse(readFileSync(new URL("expected.json", ROOT), "utf8")) as OracleFile;
}

/** A gzipped float64 little-endian sample written by the oracle. */
export function loadSample(file: string): Float64Array {
  const bytes = gunzipSync(readFileSync(new URL(file, ROOT)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.byteLength / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

export interface PointMassOracleFile {
  numeric: NumericOracleCase[];
}

/** The outputs of test/fixtures/oracle/make_point_mass_fixtures.py (sample paths relative to test/fixtures/stats/). */
export function loadPointMassOracle(): PointMassOracleFile {
  return JSON.parse(readFileSync(new URL("point-mass/expected.json", ROOT), "utf8")) as PointMassOracleFile;
}
