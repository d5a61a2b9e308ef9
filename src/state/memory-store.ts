// InMemoryStateStore: the StateStore port over plain Maps, for unit tests and replay. Same semantics as
// RedisStateStore (fence, outbox order and idempotence, lock TTL); bytes are copied in and out so a caller
// mutating its buffers cannot change what is stored. Several store instances can share one backend to
// play several replicas.

import { StateStoreUnavailableError } from "./errors.ts";
import {
  staleStateError,
  type OutboxEntry,
  type PartitionRef,
  type PartitionWrite,
  type RetrainLockResult,
  type StateStore,
  type StoredModel,
  type StoredPartition,
} from "./port.ts";

interface PartitionRecord {
  offset: string | null;
  outcomeOffset: string | null;
  meta: Uint8Array | null;
  hot: Map<string, Uint8Array>;
  cold: Map<string, Uint8Array>;
  outcomes: Map<string, Uint8Array>;
  /** modelId → the join's entries (field → value) */
  joins: Map<string, Map<string, Uint8Array>>;
  /** modelId → part key → immutable part of the model's cold state */
  parts: Map<string, Map<string, Uint8Array>>;
  /** insertion order is the outbox order */
  outbox: Map<string, OutboxEntry>;
}

interface LockRecord {
  holder: string;
  expiresAtMs: number;
}

/** What replicas share: the equivalent of one Redis database. */
export class InMemoryStateBackend {
  readonly partitions = new Map<string, PartitionRecord>();
  readonly locks = new Map<string, LockRecord>();
  readonly baselines = new Map<string, Uint8Array>();
}

export interface InMemoryStateStoreOptions {
  /** clock for lock TTLs (ms); default Date.now */
  now?: () => number;
  /** share one backend between instances to model replicas; default a fresh one */
  backend?: InMemoryStateBackend;
}

const copy = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);
const EMPTY = new Uint8Array(0);

// JSON of the tuple is injective, so distinct partitions never share a record.
const partitionId = (p: PartitionRef): string => JSON.stringify([p.group, p.topic, p.partition]);

export class InMemoryStateStore implements StateStore {
  readonly backend: InMemoryStateBackend;
  private readonly now: () => number;
  private closed = false;

  constructor(options: InMemoryStateStoreOptions = {}) {
    this.backend = options.backend ?? new InMemoryStateBackend();
    this.now = options.now ?? Date.now;
  }

  async loadPartition(p: PartitionRef): Promise<StoredPartition> {
    this.assertOpen("loadPartition", p);
    const record = this.backend.partitions.get(partitionId(p));
    const models = new Map<string, StoredModel>();
    if (!record) return { offset: null, outcomeOffset: null, meta: null, models };
    for (const modelId of new Set([...record.hot.keys(), ...record.cold.keys(), ...record.outcomes.keys()])) {
      const parts = record.parts.get(modelId);
      const outcomes = record.outcomes.get(modelId);
      const join = record.joins.get(modelId);
      models.set(modelId, {
        hot: copy(record.hot.get(modelId) ?? EMPTY),
        cold: copy(record.cold.get(modelId) ?? EMPTY),
        ...(outcomes === undefined
          ? {}
          : { outcomes: copy(outcomes), joinEntries: new Map([...(join ?? [])].map(([k, v]) => [k, copy(v)])) }),
        ...(parts !== undefined && parts.size > 0 ? { parts: new Map([...parts].map(([k, v]) => [k, copy(v)])) } : {}),
      });
    }
    return { offset: record.offset, outcomeOffset: record.outcomeOffset, meta: record.meta === null ? null : copy(record.meta), models };
  }

  async commitPartition(p: PartitionRef, w: PartitionWrite): Promise<void> {
    this.assertOpen("commitPartition", p);
    const id = partitionId(p);
    const existing = this.backend.partitions.get(id);
    const storedOffset = existing?.offset ?? null;
    const storedOutcomeOffset = existing?.outcomeOffset ?? null;
    const expectedOutcomeOffset = w.expectedOutcomeOffset ?? null;
    if (storedOffset !== w.expectedOffset || storedOutcomeOffset !== expectedOutcomeOffset) {
      throw staleStateError(p, { expectedOffset: w.expectedOffset, storedOffset, expectedOutcomeOffset, storedOutcomeOffset });
    }
    // Nothing below can throw, so the write is all-or-nothing like the Lua script.
    const record: PartitionRecord = existing ?? {
      offset: null,
      outcomeOffset: null,
      meta: null,
      hot: new Map(),
      cold: new Map(),
      outcomes: new Map(),
      joins: new Map(),
      parts: new Map(),
      outbox: new Map(),
    };
    record.offset = w.offset;
    record.outcomeOffset = w.outcomeOffset ?? null;
    record.meta = copy(w.meta);
    for (const [modelId, change] of w.models) {
      if (change.remove === true) {
        record.hot.delete(modelId);
        record.cold.delete(modelId);
        record.outcomes.delete(modelId);
        record.joins.delete(modelId);
        record.parts.delete(modelId);
      }
      if (change.hot !== undefined) record.hot.set(modelId, copy(change.hot));
      if (change.cold !== undefined) record.cold.set(modelId, copy(change.cold));
      if (change.outcomes !== undefined) record.outcomes.set(modelId, copy(change.outcomes));
      if (change.join !== undefined) {
        let join = record.joins.get(modelId);
        if (join === undefined) record.joins.set(modelId, (join = new Map()));
        for (const [field, bytes] of change.join.put) join.set(field, copy(bytes));
        for (const field of change.join.delete) join.delete(field);
        if (join.size === 0) record.joins.delete(modelId);
      }
      let parts = record.parts.get(modelId);
      if (parts === undefined) record.parts.set(modelId, (parts = new Map()));
      for (const [partKey, bytes] of change.putParts ?? []) parts.set(partKey, copy(bytes));
      for (const partKey of change.deleteParts ?? []) parts.delete(partKey);
      if (parts.size === 0) record.parts.delete(modelId);
    }
    for (const entry of w.outbox) {
      if (!record.outbox.has(entry.id)) record.outbox.set(entry.id, copyEntry(entry));
    }
    this.backend.partitions.set(id, record);
  }

  async pendingOutbox(p: PartitionRef, limit: number): Promise<OutboxEntry[]> {
    this.assertOpen("pendingOutbox", p);
    const record = this.backend.partitions.get(partitionId(p));
    if (!record || limit <= 0) return [];
    const pending: OutboxEntry[] = [];
    for (const entry of record.outbox.values()) {
      if (pending.length >= limit) break;
      pending.push(copyEntry(entry));
    }
    return pending;
  }

  async ackOutbox(p: PartitionRef, ids: readonly string[]): Promise<void> {
    this.assertOpen("ackOutbox", p);
    const record = this.backend.partitions.get(partitionId(p));
    if (!record) return;
    for (const id of ids) record.outbox.delete(id);
  }

  async acquireRetrainLock(modelId: string, requestId: string, ttlMs: number): Promise<RetrainLockResult> {
    this.assertOpen("acquireRetrainLock");
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`lock TTL must be a positive integer of ms, got ${ttlMs}`);
    const now = this.now();
    const held = this.backend.locks.get(modelId);
    if (held && held.expiresAtMs > now) {
      // Re-acquiring with the same id keeps the original TTL, as in Redis.
      return { acquired: held.holder === requestId, holder: held.holder };
    }
    this.backend.locks.set(modelId, { holder: requestId, expiresAtMs: now + ttlMs });
    return { acquired: true, holder: requestId };
  }

  async putReferenceBaseline(modelId: string, modelVersion: string, bytes: Uint8Array): Promise<void> {
    this.assertOpen("putReferenceBaseline");
    this.backend.baselines.set(JSON.stringify([modelId, modelVersion]), copy(bytes));
  }

  async getReferenceBaseline(modelId: string, modelVersion: string): Promise<Uint8Array | null> {
    this.assertOpen("getReferenceBaseline");
    const bytes = this.backend.baselines.get(JSON.stringify([modelId, modelVersion]));
    return bytes === undefined ? null : copy(bytes);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(operation: string, partition?: PartitionRef): void {
    if (this.closed) {
      throw new StateStoreUnavailableError(`state store is closed (${operation})`, {
        operation,
        ...(partition ? { partition: { ...partition } } : {}),
      });
    }
  }
}

function copyEntry(entry: OutboxEntry): OutboxEntry {
  return {
    id: entry.id,
    kind: entry.kind,
    topic: entry.topic,
    key: entry.key === null ? null : copy(entry.key),
    value: copy(entry.value),
    headers: { ...entry.headers },
  };
}
