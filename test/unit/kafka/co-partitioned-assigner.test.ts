import kafkajs, { type Cluster, type Logger } from "kafkajs";
import { describe, expect, it } from "vitest";
import {
  CO_PARTITIONED_ASSIGNER_NAME,
  coPartitionedAssigner,
  coPartitionedAssignment,
} from "../../../src/kafka/co-partitioned-assigner.ts";

const { AssignerProtocol, PartitionAssigners } = kafkajs;

function fakeCluster(partitions: Record<string, number>): Cluster {
  return {
    findTopicPartitionMetadata: (topic: string) =>
      Array.from({ length: partitions[topic] ?? 0 }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0] })),
  } as unknown as Cluster;
}

async function assignWith(
  assigner: typeof coPartitionedAssigner,
  memberIds: string[],
  partitions: Record<string, number>,
): Promise<Map<string, Record<string, number[]>>> {
  const instance = assigner({ cluster: fakeCluster(partitions), groupId: "g", logger: {} as Logger });
  const topics = Object.keys(partitions);
  const members = memberIds.map((memberId) => ({ memberId, memberMetadata: instance.protocol({ topics }).metadata }));
  const result = await instance.assign({ members, topics });
  return new Map(
    result.map((r) => {
      const decoded = AssignerProtocol.MemberAssignment.decode(r.memberAssignment);
      return [r.memberId, decoded?.assignment ?? {}];
    }),
  );
}

/** member owning each partition number, per topic */
function ownersByTopic(assignment: Map<string, Record<string, number[]>>): Record<string, Record<number, string>> {
  const owners: Record<string, Record<number, string>> = {};
  for (const [member, topics] of assignment)
    for (const [topic, ps] of Object.entries(topics)) for (const p of ps) (owners[topic] ??= {})[p] = member;
  return owners;
}

describe("co-partitioned partition assigner", () => {
  it("gives partition p of the predictions and the outcomes topic to the same member, for 1 to 5 members and 1 to 12 partitions", async () => {
    for (let members = 1; members <= 5; members++) {
      for (let partitions = 1; partitions <= 12; partitions++) {
        const ids = Array.from({ length: members }, (_, i) => `member-${(i * 7) % members}-${i}`);
        const assignment = await assignWith(coPartitionedAssigner, ids, { "ml.predictions": partitions, "ml.outcomes": partitions });
        const owners = ownersByTopic(assignment);
        for (let p = 0; p < partitions; p++) {
          expect(owners["ml.predictions"][p], `${members} members, ${partitions} partitions, p${p}`).toBeDefined();
          expect(owners["ml.outcomes"][p]).toBe(owners["ml.predictions"][p]);
        }
        // balanced: every member owns floor(P/n) or ceil(P/n) partition numbers
        const counts = ids.map((id) => assignment.get(id)?.["ml.predictions"]?.length ?? 0);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(partitions);
      }
    }
  });

  it("kafkajs' round-robin assigner does split them (3 partitions, 2 members), which is why this one exists", async () => {
    const assignment = await assignWith(PartitionAssigners.roundRobin, ["a", "b"], { "ml.predictions": 3, "ml.outcomes": 3 });
    const owners = ownersByTopic(assignment);
    const split = [0, 1, 2].filter((p) => owners["ml.predictions"][p] !== owners["ml.outcomes"][p]);
    expect(split.length).toBeGreaterThan(0);
  });

  it("is deterministic: the same members in any order get the same partitions (partition p to sorted member p mod n)", () => {
    const partitions = new Map([
      ["ml.predictions", [0, 1, 2, 3]],
      ["ml.outcomes", [3, 2, 1, 0]],
    ]);
    const one = coPartitionedAssignment(["c", "a", "b"], partitions);
    const two = coPartitionedAssignment(["b", "c", "a"], partitions);
    expect([...one].sort()).toEqual([...two].sort());
    expect(one.get("a")).toEqual({ "ml.outcomes": [0, 3], "ml.predictions": [0, 3] });
    expect(one.get("b")).toEqual({ "ml.outcomes": [1], "ml.predictions": [1] });
    expect(one.get("c")).toEqual({ "ml.outcomes": [2], "ml.predictions": [2] });
  });

  it("a member beyond the partition count gets an empty assignment, and no members give none", () => {
    const a = coPartitionedAssignment(["a", "b", "c"], new Map([["t", [0, 1]]]));
    expect(a.get("c")).toEqual({});
    expect(coPartitionedAssignment([], new Map([["t", [0]]])).size).toBe(0);
  });

  it("announces its own protocol name with the subscribed topics", () => {
    const instance = coPartitionedAssigner({ cluster: fakeCluster({}), groupId: "g", logger: {} as Logger });
    const { name, metadata } = instance.protocol({ topics: ["ml.predictions", "ml.outcomes"] });
    expect(name).toBe(CO_PARTITIONED_ASSIGNER_NAME);
    expect(AssignerProtocol.MemberMetadata.decode(metadata)?.topics).toEqual(["ml.predictions", "ml.outcomes"]);
  });
});
