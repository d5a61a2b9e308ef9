// The canonical PredictionEvent every decoder gives (the JSON scanner, JSON.parse, Avro): the required fields,
// then the optional ones that are present (neither null nor absent), in the schema's order. Built by one object
// literal per combination of present fields: all fields in the object itself, in one allocation (adding the
// optional fields one by one moved them to a property array that grew twice per event), and one hidden class per
// combination whichever decoder built the event.
import { CODE_GENERATION_ALLOWED } from "./code-generation.ts";
import type { FeatureValue, PredictionEvent } from "./types.ts";

type Build = typeof canonicalPrediction;

const REQUIRED = ["eventId", "modelId", "modelVersion", "timestamp"];
const OPTIONAL = ["prediction", "predictedClass", "confidence", "latencyMs", "features", "attributes"];
const builds: (Build | undefined)[] = new Array<Build | undefined>(1 << OPTIONAL.length).fill(undefined);

/**
 * The literal for the optional fields in `present` (bit i: OPTIONAL[i]). Its fields hold any value from the
 * first event: a field's representation otherwise follows the values stored (double, then any when a null or
 * a string comes), and each change deprecates the hidden class and deoptimises the code that reads events.
 */
function buildFor(present: number): Build {
  if (!CODE_GENERATION_ALLOWED) return buildFieldByField;
  const keys = [...REQUIRED, ...OPTIONAL.filter((_, i) => (present & (1 << i)) !== 0)];
  const build = new Function(...REQUIRED, ...OPTIONAL, `return { ${keys.join(", ")} };`) as Build;
  // null first, then a value of another kind: each field goes straight to "any value", in place
  const generalise = build as (...values: unknown[]) => unknown;
  generalise(null, null, null, null, null, null, null, null, null, null);
  generalise("", "", "", 0.5, 0.5, "", 0.5, 0.5, {}, {});
  return build;
}

/** buildFor's result where code generation is disallowed: from the same key lists, field by field. */
const buildFieldByField = ((...values: unknown[]) => {
  const event: Record<string, unknown> = {};
  [...REQUIRED, ...OPTIONAL].forEach((key, i) => {
    if (i < REQUIRED.length || values[i] != null) event[key] = values[i];
  });
  return event as unknown as PredictionEvent;
}) as Build;

/** The event with the required fields and the optional ones that are neither null nor undefined. */
export function canonicalPrediction(
  eventId: string,
  modelId: string,
  modelVersion: string,
  timestamp: number,
  prediction: number | null | undefined,
  predictedClass: string | null | undefined,
  confidence: number | null | undefined,
  latencyMs: number | null | undefined,
  features: Record<string, FeatureValue> | null | undefined,
  attributes: Record<string, string> | null | undefined,
): PredictionEvent {
  const present =
    (prediction != null ? 1 : 0) |
    (predictedClass != null ? 2 : 0) |
    (confidence != null ? 4 : 0) |
    (latencyMs != null ? 8 : 0) |
    (features != null ? 16 : 0) |
    (attributes != null ? 32 : 0);
  const build = (builds[present] ??= buildFor(present));
  return build(eventId, modelId, modelVersion, timestamp, prediction, predictedClass, confidence, latencyMs, features, attributes);
}
