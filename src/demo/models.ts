// The three demo models: what their features look like in production and how they score. Plain data plus
// small scoring functions; the generator (generator.ts) draws from these specs.
import type { Rng } from "./random.ts";
import { standardNormal } from "./random.ts";

/** How one feature's values are distributed. `decimals` rounds like a real producer would log them. */
export type FeatureSpec =
  | { name: string; kind: "normal"; mean: number; sd: number; min?: number; max?: number; decimals: number }
  /** exp(N(mu, sigma)): mu is the log of the median */
  | { name: string; kind: "lognormal"; mu: number; sigma: number; decimals: number }
  | { name: string; kind: "poisson"; mean: number; offset?: number }
  /** integers from `from` upwards with the given relative frequencies (e.g. hour of day) */
  | { name: string; kind: "weighted-int"; from: number; weights: readonly number[] }
  | { name: string; kind: "categorical"; values: readonly string[]; weights: readonly number[] }
  | { name: string; kind: "boolean"; pTrue: number };

export type FeatureValues = Record<string, number | string | boolean>;

export interface ModelOutput {
  prediction: number;
  predictedClass?: string;
  confidence?: number;
}

export interface DemoModelSpec {
  modelId: string;
  modelVersion: string;
  /** "classifier": binary, prediction = P(positiveClass); "regressor": prediction is the value */
  kind: "classifier" | "regressor";
  /** [negative, positive] for classifiers */
  classes?: readonly [string, string];
  latency: { medianMs: number; sigma: number };
  features: readonly FeatureSpec[];
  /** segment labels drawn per event (bounded cardinality) */
  attributes: Record<string, { values: readonly string[]; weights: readonly number[] }>;
  score(values: FeatureValues, rng: Rng): ModelOutput;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const num = (v: number | string | boolean | undefined, fallback: number) => (typeof v === "number" ? v : fallback);

function binaryOutput(rawP: number, classes: readonly [string, string]): ModelOutput {
  // Rounded as logged before the decision, so the logged score and class always agree.
  const p = Math.round(rawP * 10_000) / 10_000;
  return { prediction: p, predictedClass: p >= 0.5 ? classes[1] : classes[0], confidence: Math.max(p, 1 - p) };
}

// Hour-of-day traffic: quiet nights, busy afternoons and evenings.
const DAILY_PROFILE = [2, 1, 1, 1, 1, 2, 3, 5, 6, 6, 6, 7, 8, 7, 7, 7, 7, 8, 9, 9, 8, 6, 4, 3] as const;

/** log(45): the median transaction amount of the fraud scorer */
export const FRAUD_AMOUNT_LOG_MEDIAN = Math.log(45);
/** σ of log(amount); a +0.5σ shift multiplies amounts by exp(0.47) ≈ 1.6 */
export const FRAUD_AMOUNT_LOG_SIGMA = 0.94;

const FRAUD_CLASSES = ["legit", "fraud"] as const;
const RISKY_COUNTRIES = new Set(["BR", "NG"]);

export const fraudScorer: DemoModelSpec = {
  modelId: "fraud-scorer",
  modelVersion: "2026-01-15",
  kind: "classifier",
  classes: FRAUD_CLASSES,
  latency: { medianMs: 12, sigma: 0.35 },
  features: [
    { name: "amount", kind: "lognormal", mu: FRAUD_AMOUNT_LOG_MEDIAN, sigma: FRAUD_AMOUNT_LOG_SIGMA, decimals: 2 },
    { name: "age", kind: "normal", mean: 41, sd: 13, min: 18, max: 95, decimals: 0 },
    {
      name: "country",
      kind: "categorical",
      values: ["NL", "DE", "FR", "GB", "ES", "US", "BR", "NG"],
      weights: [22, 20, 14, 14, 10, 12, 5, 3],
    },
    { name: "channel", kind: "categorical", values: ["web", "app", "pos"], weights: [35, 45, 20] },
    { name: "hour", kind: "weighted-int", from: 0, weights: DAILY_PROFILE },
    { name: "account_age_days", kind: "lognormal", mu: Math.log(600), sigma: 1.0, decimals: 0 },
    { name: "txn_count_24h", kind: "poisson", mean: 3 },
    { name: "merchant_risk", kind: "normal", mean: 0.25, sd: 0.12, min: 0, max: 1, decimals: 3 },
    { name: "distance_from_home_km", kind: "lognormal", mu: Math.log(8), sigma: 1.2, decimals: 1 },
    { name: "device_trusted", kind: "boolean", pTrue: 0.8 },
  ],
  attributes: { region: { values: ["eu", "us", "latam", "africa"], weights: [80, 12, 5, 3] } },
  score(v, rng) {
    const amountZ = (Math.log(num(v.amount, 45)) - FRAUD_AMOUNT_LOG_MEDIAN) / FRAUD_AMOUNT_LOG_SIGMA;
    const logit =
      -3.1 +
      0.9 * amountZ +
      4 * (num(v.merchant_risk, 0.25) - 0.25) +
      (v.channel === "web" ? 0.4 : 0) +
      (v.device_trusted === false ? 0.7 : 0) +
      0.15 * (num(v.txn_count_24h, 3) - 3) -
      0.25 * Math.log1p(num(v.account_age_days, 600) / 365) +
      (RISKY_COUNTRIES.has(String(v.country)) ? 0.5 : 0) +
      0.3 * Math.log1p(num(v.distance_from_home_km, 8) / 50) +
      0.6 * standardNormal(rng);
    return binaryOutput(sigmoid(logit), FRAUD_CLASSES);
  },
};

const CHURN_CLASSES = ["stay", "churn"] as const;

export const churnModel: DemoModelSpec = {
  modelId: "churn-model",
  modelVersion: "v3.2.0",
  kind: "classifier",
  classes: CHURN_CLASSES,
  latency: { medianMs: 25, sigma: 0.3 },
  features: [
    { name: "tenure_months", kind: "lognormal", mu: Math.log(20), sigma: 0.9, decimals: 0 },
    { name: "monthly_charges", kind: "normal", mean: 68, sd: 24, min: 18, max: 130, decimals: 2 },
    { name: "contract", kind: "categorical", values: ["month-to-month", "one-year", "two-year"], weights: [55, 24, 21] },
    { name: "support_calls", kind: "poisson", mean: 1.6 },
    {
      name: "payment_method",
      kind: "categorical",
      values: ["card", "bank-transfer", "e-check", "mailed-check"],
      weights: [33, 27, 25, 15],
    },
    { name: "internet_service", kind: "categorical", values: ["fiber", "dsl", "none"], weights: [44, 34, 22] },
    { name: "num_products", kind: "poisson", mean: 1.2, offset: 1 },
    { name: "senior", kind: "boolean", pTrue: 0.16 },
  ],
  attributes: { segment: { values: ["consumer", "small-business"], weights: [85, 15] } },
  score(v, rng) {
    const logit =
      -1.6 -
      0.6 * Math.log1p(num(v.tenure_months, 20) / 12) +
      0.015 * (num(v.monthly_charges, 68) - 68) +
      (v.contract === "month-to-month" ? 1.3 : v.contract === "one-year" ? 0.2 : -0.8) +
      0.35 * num(v.support_calls, 1.6) +
      (v.payment_method === "e-check" ? 0.4 : 0) +
      (v.internet_service === "fiber" ? 0.3 : 0) -
      0.2 * (num(v.num_products, 2) - 2) +
      (v.senior === true ? 0.3 : 0) +
      0.5 * standardNormal(rng);
    return binaryOutput(sigmoid(logit), CHURN_CLASSES);
  },
};

const WEATHER_FACTOR: Record<string, number> = { clear: 1, rain: 1.18, snow: 1.45, fog: 1.1 };
const VEHICLE_SPEED: Record<string, number> = { car: 1, scooter: 1.1, bike: 1.35 };

export const etaRegressor: DemoModelSpec = {
  modelId: "eta-regressor",
  modelVersion: "2026.02.1",
  kind: "regressor",
  latency: { medianMs: 8, sigma: 0.4 },
  features: [
    { name: "distance_km", kind: "lognormal", mu: Math.log(5.5), sigma: 0.65, decimals: 2 },
    { name: "traffic_index", kind: "normal", mean: 1, sd: 0.22, min: 0.4, max: 2.5, decimals: 3 },
    { name: "weather", kind: "categorical", values: ["clear", "rain", "snow", "fog"], weights: [68, 22, 4, 6] },
    { name: "hour", kind: "weighted-int", from: 0, weights: DAILY_PROFILE },
    { name: "vehicle", kind: "categorical", values: ["car", "scooter", "bike"], weights: [55, 30, 15] },
    {
      name: "pickup_zone",
      kind: "categorical",
      values: ["center", "north", "south", "east", "west", "airport"],
      weights: [30, 16, 16, 15, 15, 8],
    },
    { name: "items", kind: "poisson", mean: 2.5, offset: 1 },
    { name: "courier_rating", kind: "normal", mean: 4.6, sd: 0.25, min: 1, max: 5, decimals: 2 },
  ],
  attributes: { city: { values: ["amsterdam", "berlin", "paris"], weights: [40, 35, 25] } },
  score(v, rng) {
    const travel =
      num(v.distance_km, 5.5) *
      2.4 *
      num(v.traffic_index, 1) *
      (WEATHER_FACTOR[String(v.weather)] ?? 1) *
      (VEHICLE_SPEED[String(v.vehicle)] ?? 1);
    const minutes = 6 + travel + 0.8 * num(v.items, 3) + 1.5 * standardNormal(rng);
    return { prediction: Math.max(2, minutes) };
  },
};

export const DEMO_MODELS: readonly DemoModelSpec[] = [fraudScorer, churnModel, etaRegressor];
