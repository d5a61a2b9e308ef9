// The StateStore port: everything the service persists goes through here. Adapters: InMemoryStateStore
// (unit tests, replay) and RedisStateStore (service). One conformance suite runs against both
// (test/unit/state/conformance.ts).
import { DetectorError } from "../errors/detector-error.ts";

/** A Kafka partition as seen by one consumer group. */
export interface PartitionRef {
  group: string;
  topic: string;
  partition: number;
}

/** Serialised engine state of one model inside one partition, split by how often it changes. */
export interface StoredModel {
  /** open window, counters — rewritten on every batch that touched the model */
  hot: Uint8Array;
  /** baselines, hysteresis and references to closed windows — rewritten only when a window closes */
  cold: Uint8Array;
  /**
   * Immutable parts the cold record refers to (closed windows), by part key: each is written once and
   * deleted when no longer referenced, so a window close writes one window instead of all of them.
   * Absent when none are stored.
   */
  parts?: Map<string, Uint8Array>;
  /** outcome state (the join's counters and watermarks, performance windows), rewritten when it changed; absent when none */
  outcomes?: Uint8Array;
  /**
   * The join's entries (pending predictions, joined ids, early outcomes), one per field (join-entry-codec.ts),
   * written as they change. Present (possibly empty) whenever `outcomes` is.
   */
  joinEntries?: Map<string, Uint8Array>;
}

/** What one write changes in a model's join hash. */
export interface JoinEntriesWrite {
  /** fields to store (overwriting) */
  put: ReadonlyMap<string, Uint8Array>;
  /** fields to delete (absent ones are ignored) */
  delete: readonly string[];
}

/** What one atomic write changes for one model; anything missing keeps what is stored. */
export interface ModelWrite {
  hot?: Uint8Array;
  cold?: Uint8Array;
  outcomes?: Uint8Array;
  /** changes of the join's entries */
  join?: JoinEntriesWrite;
  /** parts to store (a key that is already stored is overwritten) */
  putParts?: ReadonlyMap<string, Uint8Array>;
  /** keys of parts the new cold record no longer refers to */
  deleteParts?: readonly string[];
  /**
   * The model was evicted: delete its hot, cold and outcome records and its join entries (its parts are
   * listed in deleteParts) before the rest of this write is applied (a model evicted and admitted again).
   */
  remove?: boolean;
}

export interface StoredPartition {
  /** last applied offset (Kafka int64 as decimal string), null when nothing was ever applied */
  offset: string | null;
  /** last applied offset of the co-partitioned outcomes topic's partition of the same number, null when none */
  outcomeOffset: string | null;
  /** partition-level engine state (watermark, counters) */
  meta: Uint8Array | null;
  models: Map<string, StoredModel>;
}

/** What an outbox entry is, so the relay never infers it from the id, the topic or the payload. */
export type OutboxKind = "drift" | "retrain" | "dead-letter" | "baseline";

/** A Kafka message to publish, written atomically with the state that produced it. */
export interface OutboxEntry {
  /** deterministic id (DriftEvent.eventId / RetrainRequest.requestId / `dlq:<topic>:<partition>:<offset>`) */
  id: string;
  kind: OutboxKind;
  topic: string;
  /** message key (modelId for outputs, the original key for a dead letter); null = no key */
  key: Uint8Array | null;
  /** JSON bytes of the output event, or the (possibly truncated) original bytes of a dead letter */
  value: Uint8Array;
  /** Kafka headers as published: ids, model and status/reason of outputs, reason and source of dead letters */
  headers: Readonly<Record<string, string>>;
}

export interface PartitionWrite {
  /**
   * The fence is both offsets: the ones this writer loaded or last wrote; the write fails with
   * StaleStateError when either differs from what is stored (a replica that applied only outcomes since
   * moved only the outcome offset, and that must fence a stale writer too).
   */
  expectedOffset: string | null;
  /** last applied offset after this write (null: no prediction applied yet, only outcomes) */
  offset: string | null;
  /** fence on the outcomes topic's offset; absent = null (a writer that never applied an outcome) */
  expectedOutcomeOffset?: string | null;
  /** last applied outcome offset after this write; absent = null */
  outcomeOffset?: string | null;
  meta: Uint8Array;
  /** only the models and parts that changed */
  models: Map<string, ModelWrite>;
  /** outputs derived from this batch, appended to the partition's outbox in the same atomic step */
  outbox: OutboxEntry[];
}

export interface RetrainLockResult {
  acquired: boolean;
  /** request id currently holding the lock (== requestId when acquired or re-acquired idempotently) */
  holder: string;
}

export interface StateStore {
  loadPartition(p: PartitionRef): Promise<StoredPartition>;
  /** Atomic: state, offset and outbox entries are written together or not at all. */
  commitPartition(p: PartitionRef, w: PartitionWrite): Promise<void>;
  /** Outbox entries not yet acknowledged, oldest first. */
  pendingOutbox(p: PartitionRef, limit: number): Promise<OutboxEntry[]>;
  /** Remove published entries from the outbox (idempotent). */
  ackOutbox(p: PartitionRef, ids: readonly string[]): Promise<void>;
  /**
   * At most one retrain request per model per cooldown across all replicas: SET-if-absent with TTL.
   * Re-acquiring with the same requestId succeeds (idempotent after a crash).
   */
  acquireRetrainLock(modelId: string, requestId: string, ttlMs: number): Promise<RetrainLockResult>;
  /** Imported reference baselines (baseline import), keyed by model and version. */
  putReferenceBaseline(modelId: string, modelVersion: string, bytes: Uint8Array): Promise<void>;
  getReferenceBaseline(modelId: string, modelVersion: string): Promise<Uint8Array | null>;
  close(): Promise<void>;
}

/** The stored offset is not the one this writer expected: another replica owns the partition now. */
export interface StaleStateContext {
  partition: PartitionRef;
  expectedOffset: string | null;
  storedOffset: string | null;
  expectedOutcomeOffset: string | null;
  storedOutcomeOffset: string | null;
}

export class StaleStateError extends DetectorError<StaleStateContext> {
  constructor(message: string, context: StaleStateContext) {
    super(message, context);
  }
}

/** The StaleStateError of a failed fence, with a message naming both offsets. */
export function staleStateError(partition: PartitionRef, offsets: Omit<StaleStateError["context"], "partition">): StaleStateError {
  const p = partition;
  const outcomes =
    offsets.expectedOutcomeOffset === offsets.storedOutcomeOffset
      ? ""
      : `; outcome offset expected ${offsets.expectedOutcomeOffset}, stored ${offsets.storedOutcomeOffset}`;
  return new StaleStateError(
    `partition ${p.topic}/${p.partition} of group ${p.group}: expected offset ${offsets.expectedOffset}, stored ${offsets.storedOffset}${outcomes}`,
    { partition: { ...p }, ...offsets },
  );
}
