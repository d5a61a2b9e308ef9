// deploy/examples/java/PredictionProducer.java: kafka-clients from Maven Central, JSON, lz4 (and snappy).
import { beforeAll, describe, it } from "vitest";
import { ensureExampleTool, expectExampleDrift, REPO_ROOT, type ExampleCommand } from "../../support/producer-example.ts";

describe("Java producer example", () => {
  let classpath = "";
  beforeAll(() => {
    classpath = ensureExampleTool("java");
  });
  /** the example, source-launched with the Kafka jars, with these environment variables */
  const java = (env: Record<string, string>): ExampleCommand => ({
    command: "java",
    args: ["-cp", classpath, `${REPO_ROOT}deploy/examples/java/PredictionProducer.java`],
    env,
  });

  // snappy too: the Java client frames snappy the xerial way (snappy-java), unlike librdkafka and franz-go
  for (const compression of ["lz4", "snappy"]) {
    it(`kafka-clients JSON with ${compression}: every event counted and the shift detected`, async () => {
      await expectExampleDrift(`java-${compression}`, java({ COMPRESSION: compression }), { format: "json" });
    });
  }

  it("kafka-clients in transactions, every third followed by an aborted one: only the committed events counted, none of the aborted ones, committed to the log's end", async () => {
    await expectExampleDrift("java-transactions", java({ TRANSACTIONAL_ID: "java-example", ABORTED: "50" }), {
      format: "json",
      transactional: true,
    });
  });

  it("kafka-clients, a topic that ends in an aborted transaction fetched on its own: committed to the log's end, lag 0, none of its events counted", async () => {
    await expectExampleDrift("java-aborted-tail", java({ TRANSACTIONAL_ID: "java-example-tail", ABORTED: "50" }), {
      format: "json",
      transactional: true,
      tail: { STATIONARY: "0", SHIFTED: "0", ABORT_AT_END: "1" },
    });
  });
});
