import type { Admin } from "kafkajs";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../../src/config/load.ts";
import { checkCoPartitioned, CoPartitioningError } from "../../../src/kafka/topic-admin.ts";

const config = resolveConfig({});

function adminWith(partitions: Record<string, number>): Pick<Admin, "fetchTopicMetadata"> {
  return {
    fetchTopicMetadata: async ({ topics } = { topics: [] }) => ({
      topics: topics.map((name) => ({
        name,
        partitions: Array.from({ length: partitions[name] }, (_, partitionId) => ({
          partitionId,
          partitionErrorCode: 0,
          leader: 0,
          replicas: [0],
          isr: [0],
          offlineReplicas: [],
        })),
      })),
    }),
  };
}

describe("startup check of the partitioning contract (predictions and outcomes co-partitioned)", () => {
  it("passes when both topics have the same number of partitions, and returns that count", async () => {
    await expect(checkCoPartitioned(adminWith({ "ml.predictions": 6, "ml.outcomes": 6 }), config)).resolves.toBe(6);
  });

  it("returns no count when one topic serves as predictions and outcomes topic", async () => {
    const oneTopic = resolveConfig({ kafka: { topics: { outcomes: "ml.predictions" } } });
    await expect(checkCoPartitioned(adminWith({ "ml.predictions": 6 }), oneTopic)).resolves.toBeUndefined();
  });

  it("refuses different partition counts with a typed error naming both topics and counts", async () => {
    const error = await checkCoPartitioned(adminWith({ "ml.predictions": 6, "ml.outcomes": 3 }), config).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CoPartitioningError);
    expect((error as CoPartitioningError).context).toEqual({ partitions: { "ml.predictions": 6, "ml.outcomes": 3 } });
    expect((error as Error).message).toMatch(/ml\.predictions \(6 partitions\) and ml\.outcomes \(3 partitions\) are not co-partitioned/);
  });
});
