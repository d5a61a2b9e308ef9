// Whether every assigned partition moves when it has records to read. A consumer that silently stops
// fetching a partition (a leader that moved and was never found again, a fetch loop wedged after a
// rebalance; every Kafka client has had such bugs) shows nothing on its own: no batch means no error and
// a consumer-lag gauge frozen at its last value. So the log ends are read from the brokers on a timer,
// apart from the fetch path, and compared with where the partition's state stands. Plain data; the
// pipeline does the reading and the reporting.

/** A partition whose records have waited `forMs` without it moving. */
export interface PartitionStall {
  topic: string;
  partition: number;
  forMs: number;
  /** records between the applied position and the log end, at the last read of the log end */
  behind: number;
}

/** What one check found, and what changed since the previous one (for a log line per transition). */
export interface ProgressCheck {
  /** stalled longer than the threshold */
  stalls: PartitionStall[];
  /** every partition whose records wait, however long (the gauge) */
  waiting: PartitionStall[];
  /** the log ends could not be read for longer than the threshold: since when, and why */
  unreadable: { forMs: number; message: string } | undefined;
  started: PartitionStall[];
  ended: { topic: string; partition: number }[];
  unreadableStarted: boolean;
  unreadableEnded: boolean;
}

interface Entry {
  topic: string;
  partition: number;
  /** the next offset to apply: the stored position, or the group's committed offset before any batch */
  next: bigint | undefined;
  logEnd: bigint | undefined;
  /** the first retained offset, at the last read */
  logStart: bigint;
  /** since when records have waited with the partition not moving; undefined when caught up */
  waitingSinceMs: number | undefined;
  stalled: boolean;
}

const keyOf = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** Where reading goes on: records below the log start are gone, so a consumer has nothing older to read. */
const nextToRead = (e: Entry): bigint => (e.next === undefined || e.next < e.logStart ? e.logStart : e.next);

export class PartitionProgress {
  private readonly entries = new Map<string, Entry>();
  private unreadableSinceMs: number | undefined;
  private unreadableMessage = "";
  private unreadableReported = false;

  constructor(private readonly stalledAfterMs: number) {}

  /** The partitions of a topic assigned here now; others of that topic are forgotten. */
  assign(topic: string, partitions: readonly number[]): void {
    const wanted = new Set(partitions);
    for (const [key, e] of this.entries) if (e.topic === topic && !wanted.has(e.partition)) this.entries.delete(key);
    for (const partition of partitions) {
      const key = keyOf(topic, partition);
      if (!this.entries.has(key))
        this.entries.set(key, {
          topic,
          partition,
          next: undefined,
          logEnd: undefined,
          logStart: 0n,
          waitingSinceMs: undefined,
          stalled: false,
        });
    }
  }

  /** The state of a partition now stands before `next`; the fetch said the log ends at `highWatermark`. */
  applied(topic: string, partition: number, next: bigint, highWatermark: bigint, nowMs: number): void {
    const e = this.entries.get(keyOf(topic, partition));
    if (e === undefined) return;
    // any change is movement: a rebuild of lost state re-reads from an earlier offset
    const moved = e.next !== next;
    e.next = next;
    if (e.logEnd === undefined || highWatermark > e.logEnd) e.logEnd = highWatermark;
    if (moved) e.waitingSinceMs = e.logEnd > e.next ? nowMs : undefined;
  }

  /** Log ends and starts, and the group's committed offsets (for partitions nothing was applied in yet), read from the brokers. */
  readPositions(
    topic: string,
    positions: readonly { partition: number; logStart: bigint; logEnd: bigint; committed: bigint | undefined }[],
    nowMs: number,
  ): void {
    this.unreadableSinceMs = undefined;
    for (const p of positions) {
      const e = this.entries.get(keyOf(topic, p.partition));
      if (e === undefined) continue;
      // before any batch here, the group's committed offset says where reading starts
      if (e.next === undefined && p.committed !== undefined) e.next = p.committed;
      e.logEnd = p.logEnd;
      e.logStart = p.logStart;
      if (p.logEnd <= nextToRead(e)) e.waitingSinceMs = undefined;
      else e.waitingSinceMs ??= nowMs;
    }
  }

  readFailed(message: string, nowMs: number): void {
    this.unreadableSinceMs ??= nowMs;
    this.unreadableMessage = message;
  }

  /** Records between the applied position and the last known log end, per partition where both are known. */
  lags(): { topic: string; partition: number; lag: number }[] {
    const out: { topic: string; partition: number; lag: number }[] = [];
    for (const e of this.entries.values())
      if (e.logEnd !== undefined) {
        const next = nextToRead(e);
        out.push({ topic: e.topic, partition: e.partition, lag: Number(e.logEnd > next ? e.logEnd - next : 0n) });
      }
    return out;
  }

  check(nowMs: number): ProgressCheck {
    const waiting: PartitionStall[] = [];
    const stalls: PartitionStall[] = [];
    const started: PartitionStall[] = [];
    const ended: { topic: string; partition: number }[] = [];
    for (const e of this.entries.values()) {
      const stall =
        e.waitingSinceMs === undefined
          ? undefined
          : { topic: e.topic, partition: e.partition, forMs: nowMs - e.waitingSinceMs, behind: Number((e.logEnd ?? 0n) - nextToRead(e)) };
      if (stall !== undefined) waiting.push(stall);
      const stalled = stall !== undefined && stall.forMs > this.stalledAfterMs;
      if (stalled) stalls.push(stall);
      if (stalled && !e.stalled) started.push(stall);
      if (!stalled && e.stalled) ended.push({ topic: e.topic, partition: e.partition });
      e.stalled = stalled;
    }
    const unreadableFor = this.unreadableSinceMs === undefined ? undefined : nowMs - this.unreadableSinceMs;
    const unreadableNow = unreadableFor !== undefined && unreadableFor > this.stalledAfterMs;
    const unreadableStarted = unreadableNow && !this.unreadableReported;
    const unreadableEnded = !unreadableNow && this.unreadableReported;
    this.unreadableReported = unreadableNow;
    return {
      stalls,
      waiting,
      unreadable: unreadableNow ? { forMs: unreadableFor, message: this.unreadableMessage } : undefined,
      started,
      ended,
      unreadableStarted,
      unreadableEnded,
    };
  }
}

/** For /readyz: the stalled partitions and an unreadable log end, or undefined when every partition moves. */
export function describeStalls(check: Pick<ProgressCheck, "stalls" | "unreadable">): string | undefined {
  const parts = check.stalls.map(
    (s) => `partition ${s.partition} of ${s.topic} has not moved for ${Math.round(s.forMs / 1000)} s with ${s.behind} records to read`,
  );
  if (check.unreadable !== undefined)
    parts.push(`the log ends cannot be read from Kafka for ${Math.round(check.unreadable.forMs / 1000)} s (${check.unreadable.message})`);
  return parts.length === 0 ? undefined : parts.join("; ");
}
