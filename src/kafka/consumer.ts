// The consumer group on the predictions and outcomes topics, assigned so that partition p of both goes to
// the same member (co-partitioned-assigner.ts). Offsets are committed only by the pipeline, after Redis
// holds the state (autoCommit off, eachBatchAutoResolve off). Membership is tracked from GROUP_JOIN so
// partition state is loaded eagerly on assignment and forgotten on revocation; readiness reads it.
import type { Consumer, Kafka, KafkaMessage } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { coPartitionedAssigner } from "./co-partitioned-assigner.ts";
import { registerCompressionCodecs } from "./compression-codecs.ts";

export function createServiceConsumer(kafka: Kafka, config: ResolvedConfig): Consumer {
  // producers in other languages send snappy, lz4 or zstd batches; kafkajs alone decodes only gzip
  registerCompressionCodecs();
  return kafka.consumer({
    groupId: config.kafka.groupId,
    allowAutoTopicCreation: false,
    // the join needs outcomes partition p on the member that owns predictions partition p
    partitionAssigners: [coPartitionedAssigner],
    // a slow Redis commit + backoff must not cost the membership; heartbeats run between chunks and waits
    sessionTimeout: config.kafka.sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, Math.floor(config.kafka.sessionTimeoutMs / 3)),
    // an idle fetch returns within 1 s, so a shutdown does not wait the default 5 s for it
    maxWaitTimeInMs: 1_000,
    // Kafka returns at least one record batch even when it is larger, so oversize messages still arrive
    maxBytesPerPartition: Math.max(1_048_576, config.limits.maxMessageBytes + 65_536),
  });
}

export interface GroupMembership {
  joined: boolean;
  generation: number;
  /** partitions of the predictions topic this member owns in the current generation */
  assigned: number[];
}

export function createMembership(): GroupMembership {
  return { joined: false, generation: 0, assigned: [] };
}

/**
 * Records a GROUP_JOIN and returns the partitions revoked by it. `misaligned`: partition numbers this member
 * got of only one of the two co-partitioned topics (a member of the group that does not use the
 * co-partitioned assigner); their outcomes cannot be joined here and the pipeline says so.
 */
export function applyGroupJoin(
  membership: GroupMembership,
  topic: string,
  assignment: Record<string, number[]>,
  outcomesTopic?: string,
): { revoked: number[]; assigned: number[]; misaligned: number[] } {
  const assigned = [...(assignment[topic] ?? [])].sort((a, b) => a - b);
  const revoked = membership.assigned.filter((p) => !assigned.includes(p));
  membership.joined = true;
  membership.generation++;
  membership.assigned = assigned;
  const outcomes = outcomesTopic === undefined || outcomesTopic === topic ? assigned : (assignment[outcomesTopic] ?? []);
  const misaligned = [...new Set([...assigned, ...outcomes])]
    .filter((p) => !assigned.includes(p) || !outcomes.includes(p))
    .sort((a, b) => a - b);
  return { revoked, assigned, misaligned };
}

/** Messages split into chunks processed (and persisted) one after another, with a heartbeat between. */
export function chunksOf(messages: readonly KafkaMessage[], size: number): KafkaMessage[][] {
  const chunks: KafkaMessage[][] = [];
  for (let i = 0; i < messages.length; i += size) chunks.push(messages.slice(i, i + size));
  return chunks;
}
