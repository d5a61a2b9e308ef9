// How far behind each partition's outbox is: entries waiting, since when the oldest waits, and how many
// drain attempts failed in a row. A stuck outbox also holds back the partition (nothing later is applied
// until it drains), so readiness, /healthz's body, the metrics and an alert all read this.

export interface OutboxBacklogSnapshot {
  /** entries written to outboxes and not yet drained (this replica's partitions) */
  pending: number;
  /** age of the oldest undrained write, 0 when all are drained */
  oldestAgeMs: number;
  /** the partition with the oldest undrained write, if any */
  oldestPartition?: number;
  /** most consecutive failed drain attempts of any partition */
  consecutiveFailures: number;
  /** the last failure of the partition with the most consecutive failures */
  lastError?: string;
}

interface PartitionBacklog {
  pending: number;
  sinceMs: number;
  failures: number;
  lastError?: string;
}

export class OutboxBacklog {
  private readonly partitions = new Map<number, PartitionBacklog>();

  constructor(private readonly now: () => number = Date.now) {}

  /** `count` entries were written to the partition's outbox (the oldest pending keeps its time) */
  appended(partition: number, count: number): void {
    if (count <= 0) return;
    const p = this.partitions.get(partition);
    if (p === undefined) this.partitions.set(partition, { pending: count, sinceMs: this.now(), failures: 0 });
    else p.pending += count;
  }

  /** the outbox may hold entries of an earlier owner or a crash: waiting from now until the first drain */
  loadedUnknown(partition: number): void {
    if (!this.partitions.has(partition)) this.partitions.set(partition, { pending: 0, sinceMs: this.now(), failures: 0 });
  }

  drained(partition: number): void {
    this.partitions.delete(partition);
  }

  failed(partition: number, error: string): void {
    const p = this.partitions.get(partition) ?? { pending: 0, sinceMs: this.now(), failures: 0 };
    p.failures++;
    p.lastError = error;
    this.partitions.set(partition, p);
  }

  /** the partition moved to another replica: its outbox is theirs now */
  forget(partition: number): void {
    this.partitions.delete(partition);
  }

  snapshot(): OutboxBacklogSnapshot {
    const now = this.now();
    const out: OutboxBacklogSnapshot = { pending: 0, oldestAgeMs: 0, consecutiveFailures: 0 };
    for (const [partition, p] of this.partitions) {
      out.pending += p.pending;
      const age = Math.max(0, now - p.sinceMs);
      if (out.oldestPartition === undefined || age > out.oldestAgeMs) {
        out.oldestAgeMs = age;
        out.oldestPartition = partition;
      }
      if (p.failures > out.consecutiveFailures) {
        out.consecutiveFailures = p.failures;
        out.lastError = p.lastError;
      }
    }
    return out;
  }

  /** a reason when the oldest undrained write is older than `stuckAfterMs`, else undefined */
  stuckReason(stuckAfterMs: number): string | undefined {
    const s = this.snapshot();
    if (s.oldestPartition === undefined || s.oldestAgeMs <= stuckAfterMs) return undefined;
    const failures =
      s.consecutiveFailures > 0 ? `, ${s.consecutiveFailures} failed attempts in a row, last: ${s.lastError ?? "unknown"}` : "";
    return `outbox of partition ${s.oldestPartition} not drained for ${Math.round(s.oldestAgeMs / 1000)} s (${s.pending} entries pending${failures})`;
  }
}
