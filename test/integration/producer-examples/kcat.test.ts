// deploy/examples/kcat/produce.sh: JSON lines through kcat (librdkafka) with gzip and lz4 (the issue's
// pair), and snappy and zstd, so every codec librdkafka writes is decoded from a real producer.
import { beforeAll, describe, it } from "vitest";
import { ensureExampleTool, expectExampleDrift, REPO_ROOT } from "../../support/producer-example.ts";

describe("kcat producer example", () => {
  beforeAll(() => {
    ensureExampleTool("kcat");
  });

  for (const compression of ["gzip", "lz4", "snappy", "zstd"]) {
    it(`JSON lines with ${compression}: every event counted and the shift detected`, async () => {
      await expectExampleDrift(
        `kcat-${compression}`,
        { command: "bash", args: [`${REPO_ROOT}deploy/examples/kcat/produce.sh`], env: { COMPRESSION: compression } },
        { format: "json" },
      );
    });
  }
});
