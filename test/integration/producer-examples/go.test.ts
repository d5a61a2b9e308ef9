// deploy/examples/go: franz-go from the Go module proxy, JSON, Avro (hamba/avro, franz-go's sr) and Protobuf
// (Go's protobuf runtime, bufbuild/protocompile, franz-go's sr), snappy (raw blocks, unlike the Java client).
import { beforeAll, describe, it } from "vitest";
import { ensureExampleTool, expectExampleDrift } from "../../support/producer-example.ts";

describe("Go producer example", () => {
  let binary = "";
  // a first build of franz-go on a fresh machine takes minutes; later ones come from go's build cache
  beforeAll(() => {
    binary = ensureExampleTool("go");
  }, 600_000);

  it("franz-go JSON with snappy: every event counted and the shift detected", async () => {
    await expectExampleDrift("go-snappy", { command: binary, args: [] }, { format: "json" });
  });

  // hamba/avro is an Avro encoder of its own (not avsc, fastavro or the Java library), franz-go's sr the registry client
  it("franz-go Avro (hamba/avro, registered through franz-go's sr client) with snappy: every event counted and the shift detected", async () => {
    await expectExampleDrift("go-avro", { command: binary, args: [], env: { SERIALIZER: "avro" } }, { format: "avro" });
  });

  // registered as .proto text (Python's serializer registers a base64 descriptor), message indexes written by franz-go
  it("franz-go Protobuf (Go's protobuf runtime, the .proto registered as text through franz-go's sr): every event counted and the shift detected", async () => {
    await expectExampleDrift("go-protobuf", { command: binary, args: [], env: { SERIALIZER: "protobuf" } }, { format: "protobuf" });
  });
});
