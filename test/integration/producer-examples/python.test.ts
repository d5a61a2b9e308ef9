// deploy/examples/python/produce.py: confluent-kafka from PyPI (in a venv made by deploy/local/examples.sh),
// Avro through its AvroSerializer, JSON through its JSONSerializer, or Protobuf through its ProtobufSerializer,
// and the schema registry (the stand-in here), zstd.
import { beforeAll, describe, it } from "vitest";
import { ensureExampleTool, expectExampleDrift, REPO_ROOT } from "../../support/producer-example.ts";

describe("Python producer example", () => {
  let python = "";
  beforeAll(() => {
    python = ensureExampleTool("python");
  }, 600_000);

  it("confluent-kafka Avro (AvroSerializer + registry) with zstd: every event counted and the shift detected", async () => {
    await expectExampleDrift(
      "python-zstd",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`] },
      { format: "avro" },
    );
  });

  it("confluent-kafka Avro of a producer's own schema whose label enum is another subject's (a schema reference): counted, the shift detected", async () => {
    await expectExampleDrift(
      "python-avro-references",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`], env: { SERIALIZER: "avro-references" } },
      { format: "avro" },
    );
  });

  it("confluent-kafka JSON Schema (JSONSerializer + registry): framed JSON, every event counted and the shift detected", async () => {
    await expectExampleDrift(
      "python-json-schema",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`], env: { SERIALIZER: "json-schema" } },
      { format: "json-schema" },
    );
  });

  it("confluent-kafka Protobuf (ProtobufSerializer + registry, schemas/prediction-event.proto): every event counted and the shift detected", async () => {
    await expectExampleDrift(
      "python-protobuf",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`], env: { SERIALIZER: "protobuf" } },
      { format: "protobuf" },
    );
  });

  it("confluent-kafka Avro with the schema GUID in header __value_schema_id (header_schema_id_serializer), the value a bare Avro body: every event counted and the shift detected", async () => {
    await expectExampleDrift(
      "python-avro-header-id",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`], env: { SCHEMA_ID: "header" } },
      { format: "avro", schemaIdInHeader: true },
    );
  });

  it("confluent-kafka Protobuf with the schema GUID and message indexes in header __value_schema_id: every event counted and the shift detected", async () => {
    await expectExampleDrift(
      "python-protobuf-header-id",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`], env: { SERIALIZER: "protobuf", SCHEMA_ID: "header" } },
      { format: "protobuf", schemaIdInHeader: true },
    );
  });

  it("confluent-kafka JSON Schema with the schema GUID in header __value_schema_id, the value plain JSON: every event counted and the shift detected", async () => {
    await expectExampleDrift(
      "python-json-schema-header-id",
      { command: python, args: [`${REPO_ROOT}deploy/examples/python/produce.py`], env: { SERIALIZER: "json-schema", SCHEMA_ID: "header" } },
      { format: "json-schema", schemaIdInHeader: true },
    );
  });
});
