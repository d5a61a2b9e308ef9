// One prediction as a bare Avro body (no frame): what serializers that name the schema in headers send as the
// value (Confluent's __value_schema_id, Apicurio's apicurio.value.globalId), and the event it decodes to.
import { loadAvroType } from "../../src/events/schema-files.ts";

export const MINIMAL_PREDICTION = { eventId: "e-1", modelId: "fraud-scorer", modelVersion: "v1", timestamp: 1767225600000 };

export const BARE_AVRO_BODY = loadAvroType("prediction-event").toBuffer({
  ...MINIMAL_PREDICTION,
  prediction: null,
  predictedClass: null,
  confidence: 0.75,
  latencyMs: null,
  features: { amount: 12.5 },
  attributes: null,
});
