// Decompression cost of a consumed record batch per codec, against uncompressed and gzip (kafkajs' own
// codec) in the same run, and against decoding the batch's events (decodePredictionMessage) for proportion.
// A batch is 500 typical JSON events, as one producer linger would send them; the compressed inputs are
// made by the libraries' compressors; zstd by the zstd CLI (fzstd only decodes), committed as
// test/fixtures/compression/bench-batch.zst so the bench needs no CLI (regenerate: --write-zstd-fixture).
// Run: npx tsx test/bench/compression.bench.ts   — prints one JSON object per line.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { compressFrameSync } from "lz4-napi";
import { compressSync as snappyCompress } from "snappy";
import { decodePredictionMessage, type DecodeContext } from "../../src/events/codec.ts";
import { lz4Codec, snappyCodec, zstdCodec, type KafkaCodec } from "../../src/kafka/compression-codecs.ts";
import kafkajs from "kafkajs";

const EVENTS_PER_BATCH = 500;
const BATCHES = 400; // 200 000 events per round
const ROUNDS = 5;

function event(i: number): string {
  return JSON.stringify({
    eventId: `evt-${i.toString(16).padStart(12, "0")}`,
    modelId: "fraud-scorer",
    modelVersion: "2026-11-01",
    timestamp: 1763769600000 + i,
    prediction: Math.round(((i * 7919) % 1000) * 1.3) / 1000,
    confidence: 0.5 + ((i * 104729) % 500) / 1000,
    latencyMs: 5 + ((i * 31) % 400) / 7,
    features: {
      amount: 10 + ((i * 7) % 997) * 1.37,
      country: ["NL", "DE", "FR", "US"][i % 4],
      age: 18 + (i % 60),
      device: i % 2 === 0 ? "ios" : "android",
    },
  });
}

// Kafka's records inside a batch are length-prefixed; newline-joined events have the same entropy.
const texts = Array.from({ length: EVENTS_PER_BATCH }, (_, i) => event(i));
const plain = Buffer.from(texts.join("\n"));
const ZSTD_FIXTURE = new URL("../fixtures/compression/bench-batch.zst", import.meta.url);
if (process.argv.includes("--write-zstd-fixture")) {
  const cli = spawnSync("zstd", ["-q", "-c", "-3"], { input: plain });
  if (cli.status !== 0) throw new Error(`zstd CLI failed (apt-get install zstd): ${cli.stderr}`);
  writeFileSync(ZSTD_FIXTURE, cli.stdout);
}
const zstdBatch = readFileSync(ZSTD_FIXTURE);
const gzipCodec = (kafkajs.CompressionCodecs[kafkajs.CompressionTypes.GZIP] as () => KafkaCodec)();

const inputs: { codec: string; bytes: Buffer; decode: (b: Buffer) => Promise<Buffer> }[] = [
  { codec: "none", bytes: plain, decode: async (b) => b },
  { codec: "gzip", bytes: gzipSync(plain), decode: (b) => gzipCodec.decompress(b) },
  { codec: "snappy", bytes: snappyCompress(plain), decode: (b) => snappyCodec.decompress(b) },
  { codec: "lz4", bytes: compressFrameSync(plain), decode: (b) => lz4Codec.decompress(b) },
  { codec: "zstd", bytes: zstdBatch, decode: (b) => zstdCodec.decompress(b) },
];

async function medianSeconds(fn: () => Promise<void>): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const ctx: DecodeContext = { schemaForId: () => undefined, maxMessageBytes: 1 << 20 };
const encoded = texts.map((t) => new TextEncoder().encode(t));
const decodeSeconds = await medianSeconds(async () => {
  for (let b = 0; b < BATCHES; b++) for (const bytes of encoded) decodePredictionMessage(bytes, ctx);
});
const events = BATCHES * EVENTS_PER_BATCH;
const decodeNs = (decodeSeconds * 1e9) / events;
console.log(
  JSON.stringify({ bench: "compression", name: "baseline: decodePredictionMessage json", events, nsPerEvent: Math.round(decodeNs) }),
);

for (const { codec, bytes, decode } of inputs) {
  const out = await decode(bytes);
  if (!out.equals(plain)) throw new Error(`${codec} did not round-trip`);
  const seconds = await medianSeconds(async () => {
    for (let b = 0; b < BATCHES; b++) await decode(bytes);
  });
  const nsPerEvent = (seconds * 1e9) / events;
  console.log(
    JSON.stringify({
      bench: "compression",
      name: `decompress ${codec}`,
      codec,
      batchEvents: EVENTS_PER_BATCH,
      batchBytes: plain.length,
      compressedBytes: bytes.length,
      ratio: Number((plain.length / bytes.length).toFixed(2)),
      usPerBatch: Number(((seconds * 1e6) / BATCHES).toFixed(1)),
      nsPerEvent: Math.round(nsPerEvent),
      mbPerSecond: Math.round((plain.length * BATCHES) / seconds / 1e6),
      relativeToEventDecode: Number((nsPerEvent / decodeNs).toFixed(3)),
    }),
  );
}
