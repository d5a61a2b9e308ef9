// The in-memory engine state of each partition this replica owns, as loaded from (and last written to)
// the StateStore. `storedOffset` is the fence for the next atomic write. A slot whose state might differ
// from the store (an exception in the middle of a batch) is dropped and reloaded, never repaired.
import type { SignalLimits } from "../windows/signals.ts";
import { createPartitionState, type PartitionState } from "../detect/engine.ts";
import { decodePartitionState, storedColdParts } from "../state/engine-state-codec.ts";
import type { ClosedWindow } from "../windows/window.ts";
import type { PartitionRef, StateStore } from "../state/port.ts";

export interface PartitionSlot {
  ref: PartitionRef;
  state: PartitionState;
  /** last applied offset as stored in Redis (null: nothing ever applied) */
  storedOffset: string | null;
  /** last applied offset of the co-partitioned outcomes topic's partition, as stored (null: none applied) */
  storedOutcomeOffset: string | null;
  /** the outbox left over by an earlier owner (or a crash) was drained */
  outboxDrained: boolean;
  /** outbox entries were written since the last drain */
  outboxPending: boolean;
  /** outputs and dead letters of offsets up to here are published (what a rebuild must not publish again) */
  publishedThrough: string | null;
  /** the stored offset was compared with Kafka's committed offset after loading (state-loss.ts) */
  positionChecked: boolean;
  /** a source log that lost records under the stored offset was reported (state-loss.ts replacedLog) */
  truncationReported: boolean;
  /**
   * Per model, the cold-state parts (closed windows) the store holds: part key → the window object
   * written under it (null: stored, not referred to). A cold write sends only the windows not in here.
   */
  storedParts: Map<string, Map<string, ClosedWindow | null>>;
}

export class PartitionStates {
  private readonly slots = new Map<number, PartitionSlot>();
  private readonly loading = new Map<number, Promise<PartitionSlot>>();

  constructor(
    private readonly store: StateStore,
    private readonly group: string,
    private readonly topic: string,
    private readonly limits: SignalLimits,
  ) {}

  get(partition: number): PartitionSlot | undefined {
    return this.slots.get(partition);
  }

  has(partition: number): boolean {
    return this.slots.has(partition);
  }

  /** Loads a partition from the store (one request at a time per partition); a loaded slot is returned as is. */
  load(partition: number): Promise<PartitionSlot> {
    const loaded = this.slots.get(partition);
    if (loaded !== undefined) return Promise.resolve(loaded);
    let pending = this.loading.get(partition);
    if (pending === undefined) {
      pending = this.read(partition).finally(() => this.loading.delete(partition));
      this.loading.set(partition, pending);
    }
    return pending;
  }

  forget(partition: number): PartitionSlot | undefined {
    const slot = this.slots.get(partition);
    this.slots.delete(partition);
    return slot;
  }

  partitions(): number[] {
    return [...this.slots.keys()];
  }

  private async read(partition: number): Promise<PartitionSlot> {
    const ref: PartitionRef = { group: this.group, topic: this.topic, partition };
    const stored = await this.store.loadPartition(ref);
    const state =
      stored.meta === null && stored.models.size === 0
        ? createPartitionState(partition)
        : decodePartitionState(partition, stored.meta, stored.models, this.limits);
    const storedParts = new Map<string, Map<string, ClosedWindow | null>>();
    for (const [modelId, model] of state.models) {
      const keys = stored.models.get(modelId)?.parts?.keys();
      if (keys !== undefined) storedParts.set(modelId, storedColdParts(model, keys));
    }
    const slot: PartitionSlot = {
      ref,
      state,
      storedOffset: stored.offset,
      storedOutcomeOffset: stored.outcomeOffset,
      outboxDrained: false,
      outboxPending: true,
      publishedThrough: null,
      positionChecked: false,
      truncationReported: false,
      storedParts,
    };
    this.slots.set(partition, slot);
    return slot;
  }
}
