// What the key placement check (src/kafka/key-placement.ts) adds per consumed record, against decoding the
// same record's JSON prediction in the same run (the least the service does with a record anyway).
// Run: npx tsx test/bench/key-placement.bench.ts   — prints one JSON object per line.
import { decodePredictionMessage, type DecodeContext } from "../../src/events/codec.ts";
import { KeyPlacementCheck } from "../../src/kafka/key-placement.ts";

const BATCHES = 400;
const BATCH = 500;
const ROUNDS = 5;
const topics = { predictions: "ml.predictions", outcomes: "ml.outcomes" };
const ctx: DecodeContext = { schemaForId: () => undefined, maxMessageBytes: 1 << 20 };
const encoder = new TextEncoder();

const cases: Record<string, (i: number) => string> = {
  "1 model": () => "fraud-scorer",
  "3 models interleaved": (i) => ["fraud-scorer", "eta-regressor", "churn-model"][i % 3],
  "a key per record (eventId)": (i) => `evt-${i.toString(16).padStart(12, "0")}`,
};

function records(keyOf: (i: number) => string) {
  return Array.from({ length: BATCHES }, (_, b) =>
    Array.from({ length: BATCH }, (_, j) => {
      const i = b * BATCH + j;
      const value = encoder.encode(
        JSON.stringify({
          eventId: `evt-${i}`,
          modelId: "fraud-scorer",
          modelVersion: "v1",
          timestamp: 1763769600000 + i,
          prediction: (i % 1000) / 1000,
          confidence: 0.5 + (i % 500) / 1000,
          features: { amount: 10 + (i % 997) * 1.37, country: ["NL", "DE", "FR"][i % 3] },
        }),
      );
      return { key: Buffer.from(keyOf(i)), value };
    }),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

for (const [name, keyOf] of Object.entries(cases)) {
  const batches = records(keyOf);
  const check = new KeyPlacementCheck(topics, 6);
  const checkNs: number[] = [];
  const decodeNs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let t = process.hrtime.bigint();
    for (const batch of batches) check.observe(topics.predictions, 1, batch);
    checkNs.push(Number(process.hrtime.bigint() - t) / (BATCHES * BATCH));
    t = process.hrtime.bigint();
    let ok = 0;
    for (const batch of batches) for (const r of batch) if (decodePredictionMessage(r.value, ctx).ok) ok++;
    decodeNs.push(Number(process.hrtime.bigint() - t) / (BATCHES * BATCH));
    if (ok !== BATCHES * BATCH) throw new Error(`only ${ok} records decoded`);
  }
  // the first round warms the JIT up
  const check50 = median(checkNs.slice(1));
  const decode50 = median(decodeNs.slice(1));
  console.log(
    JSON.stringify({
      bench: "key-placement",
      keys: name,
      records: BATCHES * BATCH,
      checkNsPerRecord: +check50.toFixed(1),
      decodeNsPerRecord: +decode50.toFixed(1),
      checkShareOfDecode: +(check50 / decode50).toFixed(3),
    }),
  );
}
