// deploy/examples/python/{kafka_python,aiokafka}_produce.py: kafka-python and aiokafka from PyPI, the
// pure-Python clients (their own protocol and compression code; no librdkafka), JSON with every codec.
import { beforeAll, describe, it } from "vitest";
import { ensureExampleTool, expectExampleDrift, REPO_ROOT } from "../../support/producer-example.ts";

describe("kafka-python and aiokafka producer examples", () => {
  let python = "";
  beforeAll(() => {
    python = ensureExampleTool("python");
  }, 600_000);

  for (const client of ["kafka-python", "aiokafka"]) {
    for (const compression of ["gzip", "snappy", "lz4", "zstd"]) {
      it(`${client} JSON with ${compression}: every event counted and the shift detected`, async () => {
        const script = `${REPO_ROOT}deploy/examples/python/${client.replace("-", "_")}_produce.py`;
        await expectExampleDrift(
          `${client}-${compression}`,
          { command: python, args: [script], env: { COMPRESSION: compression } },
          { format: "json" },
        );
      });
    }
  }
});
