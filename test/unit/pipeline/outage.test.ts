// Outage or bug: the errors say so themselves (retriable + dependency), the shell only reads it.
import { describe, expect, it } from "vitest";
import { isOutage, outageOperation } from "../../../src/pipeline/outage.ts";
import { DetectorError } from "../../../src/errors/detector-error.ts";
import { StateStoreCorruptError, StateStoreUnavailableError } from "../../../src/state/errors.ts";
import { SchemaRegistryUnavailableError } from "../../../src/kafka/schema-cache.ts";
import { StaleStateError } from "../../../src/state/port.ts";
import { CompressedBatchDecodeError } from "../../../src/kafka/compression-codecs.ts";
import { EngineStateDecodeError } from "../../../src/state/engine-state-codec.ts";

describe("outage classification", () => {
  const partition = { group: "g", topic: "t", partition: 3 };

  it("an unreachable Redis is a retriable redis outage and keeps its context and cause", () => {
    const cause = new Error("ECONNREFUSED");
    const err = new StateStoreUnavailableError("commitPartition: Redis failed", { operation: "commitPartition", partition }, { cause });
    expect(err).toBeInstanceOf(DetectorError);
    expect(err.retriable).toBe(true);
    expect(err.name).toBe("StateStoreUnavailableError");
    expect(err.context).toEqual({ operation: "commitPartition", partition });
    expect(err.cause).toBe(cause);
    expect(outageOperation(err)).toBe("redis");
  });

  it("an unreachable schema registry is a registry outage", () => {
    const err = new SchemaRegistryUnavailableError("registry down", { schemaId: 7, status: 503 });
    expect(err.retriable).toBe(true);
    expect(outageOperation(err)).toBe("registry");
  });

  it("kafkajs errors are kafka outages (the client already retried)", () => {
    const err = new Error("Connection error");
    err.name = "KafkaJSConnectionError";
    expect(outageOperation(err)).toBe("kafka");
  });

  it("corrupt state, a fence, an undecodable batch and plain errors are not outages", () => {
    const errors = [
      new StateStoreCorruptError("key holds a list", { operation: "loadPartition", partition }),
      new StaleStateError("fenced", {
        partition,
        expectedOffset: "1",
        storedOffset: "9",
        expectedOutcomeOffset: null,
        storedOutcomeOffset: null,
      }),
      new CompressedBatchDecodeError("zstd", new Error("bad frame")),
      new EngineStateDecodeError("bad hot state", { part: "hot", modelId: "m" }),
      new Error("bug"),
      "not an error",
    ];
    for (const e of errors) expect(isOutage(e)).toBe(false);
    expect(new CompressedBatchDecodeError("zstd", new Error("bad frame")).retriable).toBe(false);
  });
});
