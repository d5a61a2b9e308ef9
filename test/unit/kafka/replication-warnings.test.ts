import { describe, expect, it } from "vitest";
import { replicationWarnings } from "../../../src/kafka/topic-admin.ts";

describe("replicationWarnings (how the outputs survive a broker failure)", () => {
  it("says nothing of a single development broker, nor of replication 3 with min.insync.replicas 2", () => {
    expect(replicationWarnings(1, [{ topic: "ml.drift-events", replicas: 1, minInsyncReplicas: 1 }])).toEqual([]);
    expect(replicationWarnings(3, [{ topic: "ml.drift-events", replicas: 3, minInsyncReplicas: 2 }])).toEqual([]);
  });

  it("names an output topic on one broker of several, and how to fix it", () => {
    const [warning, ...rest] = replicationWarnings(3, [
      { topic: "ml.predictions.dlq", replicas: 1, minInsyncReplicas: 1 },
      { topic: "ml.drift-events", replicas: 3, minInsyncReplicas: 2 },
    ]);
    expect(rest).toEqual([]);
    expect(warning).toBe(
      "output topic ml.predictions.dlq has 1 replica on a cluster of 3 brokers: losing that broker loses its records " +
        "(raise its replication with kafka-reassign-partitions.sh; kafka.replicationFactor sets it for topics the detector creates)",
    );
  });

  it("names a replicated topic whose writes the leader alone acknowledges (min.insync.replicas 1), not one whose setting is unreadable", () => {
    const warnings = replicationWarnings(3, [
      { topic: "ml.retrain-requests", replicas: 3, minInsyncReplicas: 1 },
      { topic: "ml.baseline-events", replicas: 3, minInsyncReplicas: undefined },
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^output topic ml\.retrain-requests has 3 replicas but min\.insync\.replicas 1: /);
  });
});
