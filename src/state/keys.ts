// Redis key layout of the state store. Every key of one (group, topic, partition) carries the same
// hash tag, so one Lua script can touch all of them on Redis Cluster (one slot). Ids are
// percent-encoded inside keys so a group, topic or model id containing ":", "|", "{" or "}" cannot
// change the key structure or move the hash tag.

import type { PartitionRef } from "./port.ts";
import { DetectorError } from "../errors/detector-error.ts";

/** A string that cannot be placed in a key (bad prefix, lone UTF-16 surrogate, bad partition number). */
export class InvalidStateKeyError extends DetectorError<{ part: string; value: string }> {
  constructor(message: string, context: { part: string; value: string }) {
    super(message, context);
  }
}

/**
 * Injective encoding of an id into a key segment: encodeURIComponent leaves only
 * [A-Za-z0-9-_.!~*'()] and "%XX" escapes, none of which is ":", "|", "{" or "}".
 */
export function encodeKeyPart(part: string, value: string): string {
  try {
    return encodeURIComponent(value);
  } catch (cause) {
    throw new InvalidStateKeyError(`${part} is not valid UTF-16 text: ${String(cause)}`, { part, value });
  }
}

export function validateKeyPrefix(prefix: string): string {
  if (prefix.length === 0 || /[{}]/.test(prefix)) {
    throw new InvalidStateKeyError('key prefix must be non-empty and contain no "{" or "}" (it would move the hash tag)', {
      part: "keyPrefix",
      value: prefix,
    });
  }
  return prefix;
}

/** All keys of one partition; the order is the KEYS order the Lua scripts expect. */
export interface PartitionKeys {
  /** string: last applied offset */
  offset: string;
  /** string: partition-level engine state */
  meta: string;
  /** hash modelId → hot bytes */
  hot: string;
  /** hash modelId → cold bytes */
  cold: string;
  /** sorted set outbox id scored by append sequence */
  outboxOrder: string;
  /** hash outbox id → framed entry (topic, key, value) */
  outboxEntries: string;
  /** string counter: next append sequence */
  outboxSeq: string;
  /** hash modelPartField(modelId, partKey) → immutable part of a model's cold state (a closed window) */
  parts: string;
  /** string: last applied offset of the outcomes topic's partition with the same number (co-partitioned) */
  outcomeOffset: string;
  /** hash modelId → outcome state of the model (the join and performance windows) */
  outcomes: string;
}

/** The hash tag content (between the braces) shared by all keys of one partition. */
export function partitionHashTag(p: PartitionRef): string {
  if (!Number.isSafeInteger(p.partition) || p.partition < 0) {
    throw new InvalidStateKeyError("partition must be a non-negative integer", { part: "partition", value: String(p.partition) });
  }
  return `g:${encodeKeyPart("group", p.group)}|t:${encodeKeyPart("topic", p.topic)}|p:${p.partition}`;
}

export function partitionKeys(prefix: string, p: PartitionRef): PartitionKeys {
  const base = `${prefix}:{${partitionHashTag(p)}}`;
  return {
    offset: `${base}:offset`,
    meta: `${base}:meta`,
    hot: `${base}:hot`,
    cold: `${base}:cold`,
    outboxOrder: `${base}:outbox:order`,
    outboxEntries: `${base}:outbox:entries`,
    outboxSeq: `${base}:outbox:seq`,
    parts: `${base}:parts`,
    outcomeOffset: `${base}:outcomes:offset`,
    outcomes: `${base}:outcomes`,
  };
}

/** hash: the join's entries of one model (join-entry-codec.ts), in the partition's hash slot */
export function modelJoinKey(prefix: string, p: PartitionRef, modelId: string): string {
  return `${prefix}:{${partitionHashTag(p)}}:outcomes:join:${encodeKeyPart("modelId", modelId)}`;
}

/** Field of a model's part in the partition's parts hash: the encoded model id cannot contain "|". */
export function modelPartField(modelId: string, partKey: string): string {
  return `${encodeKeyPart("modelId", modelId)}|${partKey}`;
}

/** Inverse of modelPartField; null for a field this store did not write. */
export function parseModelPartField(field: string): { modelId: string; partKey: string } | null {
  const bar = field.indexOf("|");
  if (bar < 0) return null;
  try {
    return { modelId: decodeURIComponent(field.slice(0, bar)), partKey: field.slice(bar + 1) };
  } catch {
    return null;
  }
}

/** Not partition-scoped: one lock per model across all replicas and partitions. */
export function retrainLockKey(prefix: string, modelId: string): string {
  return `${prefix}:retrain-lock:{${encodeKeyPart("modelId", modelId)}}`;
}

export function referenceBaselineKey(prefix: string, modelId: string, modelVersion: string): string {
  return `${prefix}:baseline:{${encodeKeyPart("modelId", modelId)}}:${encodeKeyPart("modelVersion", modelVersion)}`;
}
