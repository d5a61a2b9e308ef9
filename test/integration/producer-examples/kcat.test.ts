// deploy/examples/kcat/produce.sh: JSON lines through kcat (librdkafka), gzip- and lz4-compressed.
import { beforeAll, describe, it } from "vitest";
import { ensureExampleTool, expectExampleDrift, REPO_ROOT } from "../../support/producer-example.ts";

describe("kcat producer example", () => {
  beforeAll(() => {
    ensureExampleTool("kcat");
  });

  for (const compression of ["gzip", "lz4"]) {
    it(`JSON lines with ${compression}: every event counted and the shift detected`, async () => {
      await expectExampleDrift(`kcat-${compression}`, { command: "bash", args: [`${REPO_ROOT}deploy/examples/kcat/produce.sh`], env: { COMPRESSION: compression } }, { format: "json" });
    });
  }
});
