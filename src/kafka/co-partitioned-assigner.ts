// Consumer-group partition assignment that keeps co-partitioned topics together: partition p of every
// subscribed topic (predictions and outcomes) goes to the same member, as a Kafka Streams join requires.
// The join state of partition p lives in the state of predictions partition p and is committed with both
// topics' offsets in one atomic write, so one member must own both; kafkajs' RoundRobinAssigner deals
// topic-partitions out in one sequence over all topics and splits them whenever a topic has an odd number
// of partitions. Members are sorted by id and partition p goes to member p mod n: deterministic, and each
// member gets ⌊P/n⌋ or ⌈P/n⌉ partition numbers.
//
// The assignment does not depend on the members' previous assignments (no stickiness): a rebalance may move
// partitions, which costs a state load from Redis, never correctness.
import kafkajs, { type PartitionAssigner } from "kafkajs";

export const CO_PARTITIONED_ASSIGNER_NAME = "DriftDetectorCoPartitioned";

/** Partition numbers → member ids: partition p of every topic goes to sortedMembers[p mod n]. */
export function coPartitionedAssignment(
  memberIds: readonly string[],
  partitionsByTopic: ReadonlyMap<string, readonly number[]>,
): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort();
  const out = new Map<string, Record<string, number[]>>();
  if (members.length === 0) return out;
  for (const id of members) out.set(id, {});
  const topics = [...partitionsByTopic.keys()].sort();
  for (const topic of topics) {
    const partitions = [...(partitionsByTopic.get(topic) ?? [])].sort((a, b) => a - b);
    for (const p of partitions) {
      const assignment = out.get(members[p % members.length])!;
      (assignment[topic] ??= []).push(p);
    }
  }
  return out;
}

/** The kafkajs partition assigner (consumer option `partitionAssigners`). */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITIONED_ASSIGNER_NAME,
  version: 0,
  async assign({ members, topics }) {
    const partitionsByTopic = new Map(topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((m) => m.partitionId)]));
    const assignment = coPartitionedAssignment(
      members.map((m) => m.memberId),
      partitionsByTopic,
    );
    return [...assignment].map(([memberId, topicPartitions]) => ({
      memberId,
      memberAssignment: kafkajs.AssignerProtocol.MemberAssignment.encode({
        version: 0,
        assignment: topicPartitions,
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: CO_PARTITIONED_ASSIGNER_NAME,
      metadata: kafkajs.AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
    };
  },
});
