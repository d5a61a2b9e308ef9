// What the partition progress watch (src/pipeline/partition-progress.ts) adds: one `applied` per persisted
// chunk of 500 records, and one `check` (with `lags`) per timer tick over every assigned partition; against
// decoding the chunk's JSON predictions in the same run (the least the service does with them anyway). The
// two admin requests per topic per tick (ListOffsets, OffsetFetch) leave the data path and are not counted.
// Run: npx tsx test/bench/partition-progress.bench.ts   — prints one JSON object per line.
import { decodePredictionMessage, type DecodeContext } from "../../src/events/codec.ts";
import { PartitionProgress } from "../../src/pipeline/partition-progress.ts";

const CHUNK = 500;
const CHUNKS = 2_000;
const PARTITIONS = 64;
const ROUNDS = 5;
const TOPIC = "ml.predictions";
const ctx: DecodeContext = { schemaForId: () => undefined, maxMessageBytes: 1 << 20 };
const encoder = new TextEncoder();

const chunk = Array.from({ length: CHUNK }, (_, i) =>
  encoder.encode(
    JSON.stringify({
      eventId: `evt-${i}`,
      modelId: "fraud-scorer",
      modelVersion: "v1",
      timestamp: 1763769600000 + i,
      prediction: (i % 1000) / 1000,
      confidence: 0.5 + (i % 500) / 1000,
      features: { amount: 10 + (i % 997) * 1.37, country: ["NL", "DE", "FR"][i % 3] },
    }),
  ),
);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const progress = new PartitionProgress(60_000);
progress.assign(
  TOPIC,
  Array.from({ length: PARTITIONS }, (_, p) => p),
);
const appliedNs: number[] = [];
const checkNs: number[] = [];
const decodeNs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  let t = process.hrtime.bigint();
  for (let c = 0; c < CHUNKS; c++) {
    const end = BigInt((round * CHUNKS + c + 1) * CHUNK);
    progress.applied(TOPIC, c % PARTITIONS, end, end + 1_000n, c);
  }
  appliedNs.push(Number(process.hrtime.bigint() - t) / CHUNKS);
  t = process.hrtime.bigint();
  let lagSum = 0;
  for (let tick = 0; tick < 1_000; tick++) {
    for (const { lag } of progress.lags()) lagSum += lag;
    progress.check(tick);
  }
  checkNs.push(Number(process.hrtime.bigint() - t) / 1_000);
  if (lagSum <= 0) throw new Error("no lag measured");
  t = process.hrtime.bigint();
  let ok = 0;
  for (let c = 0; c < 20; c++) for (const value of chunk) if (decodePredictionMessage(value, ctx).ok) ok++;
  decodeNs.push(Number(process.hrtime.bigint() - t) / 20);
  if (ok !== 20 * CHUNK) throw new Error(`only ${ok} records decoded`);
}
// the first round warms the JIT up
const applied = median(appliedNs.slice(1));
const check = median(checkNs.slice(1));
const decode = median(decodeNs.slice(1));
console.log(
  JSON.stringify({
    bench: "partition-progress",
    chunkRecords: CHUNK,
    partitions: PARTITIONS,
    appliedNsPerChunk: +applied.toFixed(1),
    decodeNsPerChunk: Math.round(decode),
    appliedShareOfDecode: +(applied / decode).toExponential(2),
    checkNsPerTick: Math.round(check),
  }),
);
