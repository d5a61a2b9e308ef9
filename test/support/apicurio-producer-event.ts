// The first event of deploy/examples/java/ApicurioProducer.java's stream (SEED 42), as its serializers were given
// it: what the bytes they wrote (test/fixtures/protobuf/apicurio-java.json, test/fixtures/apicurio/) decode to.
export const APICURIO_PRODUCER_FIRST_EVENT = {
  eventId: "apicurio-0",
  modelId: "fraud-scorer",
  modelVersion: "v1",
  timestamp: 1763769600000,
  prediction: 0.30871945533265976,
  confidence: 0.7108313960296546,
  latencyMs: 13.327744758972868,
  features: { amount: 117.12857973209583, country: "FR" },
};
