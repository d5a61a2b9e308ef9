// Readiness probe for deploy/local/stack.sh: a TCP connect says nothing about whether the
// KRaft controller has elected itself and the broker is unfenced, so ask for cluster metadata
// through the same client the detector uses. Exits 0 when the broker answers (and, given a count, when
// that many brokers are in the cluster's metadata), 1 otherwise.
//   usage: tsx deploy/local/kafka-ready.ts 127.0.0.1:19092 [brokers]
import { Kafka, logLevel } from "kafkajs";

const broker = process.argv[2];
const expectedBrokers = Number(process.argv[3] ?? 1);
if (!broker || !Number.isInteger(expectedBrokers) || expectedBrokers < 1) {
  console.error("usage: kafka-ready.ts <host:port> [brokers]");
  process.exit(2);
}

const kafka = new Kafka({
  clientId: "stack-readiness-probe",
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 2_000,
  requestTimeout: 5_000,
  retry: { retries: 0 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.brokers.length < expectedBrokers) throw new Error(`${cluster.brokers.length} of ${expectedBrokers} brokers in metadata`);
  // listTopics goes through the Metadata API, which fails while the broker is still fenced.
  await admin.listTopics();
  // Looking up a group's coordinator makes the broker create __consumer_offsets now, so the first
  // consumer of a test run does not log "group coordinator is not available" while it loads.
  await admin.describeGroups(["stack-readiness-probe"]);
  process.stdout.write(`kafka ready: cluster ${cluster.clusterId}, controller ${cluster.controller}\n`);
  await admin.disconnect();
  process.exit(0);
} catch (error) {
  process.stderr.write(`kafka not ready: ${error instanceof Error ? error.message : String(error)}\n`);
  await admin.disconnect().catch(() => undefined);
  process.exit(1);
}
