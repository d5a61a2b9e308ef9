// Decode + validate throughput on the per-event hot path, against JSON.parse alone in the same run.
// Run: npx tsx test/bench/decode.bench.ts   — prints one JSON object per line.
import { readFileSync } from "node:fs";
import protobuf from "protobufjs";
import { decodePredictionMessage, encodeAvroEvent } from "../../src/events/codec.ts";
import type { DecodeContext } from "../../src/events/codec.ts";
import { frameConfluent } from "../../src/events/confluent-framing.ts";
import { ProtobufWriter } from "../../src/events/protobuf-writer.ts";
import { loadAvroType } from "../../src/events/schema-files.ts";
import { predictionEventSchema } from "../../src/events/schemas.ts";

const TARGET_EVENTS_PER_SECOND = 150_000;
const N = 200_000;
const ROUNDS = 5;

// a typical event: ~10 features, mixed numeric and categorical, two attributes
function event(i: number) {
  return {
    eventId: `evt-${i.toString(16).padStart(12, "0")}`,
    modelId: "fraud-scorer",
    modelVersion: "2026-11-01",
    timestamp: 1763769600000 + i,
    prediction: (i % 1000) / 1000,
    predictedClass: i % 7 === 0 ? "fraud" : "legit",
    confidence: 0.5 + (i % 500) / 1000,
    latencyMs: 5 + (i % 40) / 3,
    features: {
      amount: 10 + (i % 997) * 1.37,
      country: ["NL", "DE", "FR", "US"][i % 4],
      age: i % 13 === 0 ? null : 18 + (i % 60),
      is_new_customer: i % 3 === 0,
      n_txn_24h: i % 17,
      merchant_category: `mcc-${i % 50}`,
      hour: i % 24,
      device: i % 2 === 0 ? "ios" : "android",
      score_prev: Math.sin(i),
      distance_km: (i % 300) / 7,
    },
    attributes: { region: "eu", channel: "web" },
  };
}

const predictionType = loadAvroType("prediction-event");
const proto = readFileSync(new URL("../../schemas/prediction-event.proto", import.meta.url), "utf8");
const protobufWriter = new ProtobufWriter(proto);
const ctx: DecodeContext = {
  schemaForId: (id) => (id === 1 ? predictionType : id === 2 ? protobufWriter : undefined),
  maxMessageBytes: 1 << 20,
};
const encoder = new TextEncoder();
const texts = Array.from({ length: 1024 }, (_, i) => JSON.stringify(event(i)));
const jsonBytes = texts.map((t) => encoder.encode(t));
const avroBytes = Array.from({ length: 1024 }, (_, i) => encodeAvroEvent("prediction-event", 1, event(i)));
const decoder = new TextDecoder();
// the same events as Confluent-framed Protobuf of schemas/prediction-event.proto (message indexes [0]: one 0 byte)
const protobufType = protobuf.parse(proto, { keepCase: true }).root.lookupType("io.driftdetector.PredictionEvent");
const protobufBytes = Array.from({ length: 1024 }, (_, i) => {
  const e = event(i);
  const features = Object.fromEntries(
    Object.entries(e.features).map(([k, v]) => [
      k,
      v === null ? {} : typeof v === "number" ? { number_value: v } : typeof v === "string" ? { string_value: v } : { bool_value: v },
    ]),
  );
  const message = protobufType.fromObject({
    event_id: e.eventId,
    model_id: e.modelId,
    model_version: e.modelVersion,
    timestamp: e.timestamp,
    prediction: e.prediction,
    predicted_class: e.predictedClass,
    confidence: e.confidence,
    latency_ms: e.latencyMs,
    features,
    attributes: e.attributes,
  });
  return frameConfluent(2, Uint8Array.from([0, ...protobufType.encode(message).finish()]));
});

/** Median rate of `fn` over ROUNDS runs of n calls; `bytesPerEvent` is the size of one encoded event of its input. */
function measure(name: string, n: number, fn: (i: number) => unknown, bytesPerEvent = jsonBytes[0].length): void {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) if (fn(i)) sink++; // warm-up
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) if (fn(i)) sink++;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(n / seconds);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  console.log(
    JSON.stringify({
      bench: "decode",
      name,
      events: n,
      rounds: ROUNDS,
      eventsPerSecond: Math.round(median),
      nsPerEvent: Math.round(1e9 / median),
      bytesPerEvent,
      sink: sink > 0,
    }),
  );
  results.set(name, median);
}

const results = new Map<string, number>();
measure("baseline: JSON.parse(string)", N, (i) => JSON.parse(texts[i & 1023]));
measure("baseline: TextDecoder + JSON.parse(bytes)", N, (i) => JSON.parse(decoder.decode(jsonBytes[i & 1023])));
measure("decodePredictionMessage json", N, (i) => decodePredictionMessage(jsonBytes[i & 1023], ctx).ok);
measure("decodePredictionMessage avro (confluent)", N, (i) => decodePredictionMessage(avroBytes[i & 1023], ctx).ok, avroBytes[0].length);
measure(
  "decodePredictionMessage protobuf (confluent)",
  N,
  (i) => decodePredictionMessage(protobufBytes[i & 1023], ctx).ok,
  protobufBytes[0].length,
);
measure(
  "avsc fromBuffer alone (no validation)",
  N,
  (i) => predictionType.fromBuffer(Buffer.from(avroBytes[i & 1023].buffer, 5)),
  avroBytes[0].length,
);
measure(
  "protobufjs decode alone (no validation)",
  N,
  (i) => protobufType.decode(protobufBytes[i & 1023].subarray(6)),
  protobufBytes[0].length,
);
measure("zod safeParse after JSON.parse (reference)", N / 4, (i) => predictionEventSchema.safeParse(JSON.parse(texts[i & 1023])).success);

const json = results.get("decodePredictionMessage json")!;
console.log(
  JSON.stringify({
    bench: "decode",
    summary: true,
    jsonDecodeEventsPerSecond: Math.round(json),
    targetEventsPerSecond: TARGET_EVENTS_PER_SECOND,
    meetsTarget: json >= TARGET_EVENTS_PER_SECOND,
    costRelativeToJsonParse: Number((results.get("baseline: TextDecoder + JSON.parse(bytes)")! / json).toFixed(2)),
  }),
);
