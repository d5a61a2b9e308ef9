// Telling "another replica owns the partition now" from "Redis lost the partition's state" (issue 8 item 4).
//
// The stored offset is the marker: it exists as long as Redis holds the partition's state, and it only moves
// forward while replicas take turns (a new owner loads what the old one wrote and writes past it). So
// - a fence conflict with a stored offset above the one this writer loaded is a move to another owner;
// - no stored offset, or one below what this writer loaded or wrote, is a loss: Redis was emptied
//   (FLUSHALL, restart without persistence, failover to an empty replica) or rolled back (a replica that
//   lagged, an AOF that lost its last second).
// A replica that starts after the loss has no memory of the state: Kafka's committed offset is the durable
// witness. The service commits it only after Redis holds the state (so committed ≤ stored + 1), hence
// committed > stored + 1 means Redis no longer holds what it acknowledged.
//
// Recovery replays Kafka: the engine is deterministic, so applying the retained history again from the
// offset after what Redis still holds (the log start when it holds nothing) rebuilds the state exactly,
// provided retention kept every record the state needs: a partition's state begins at its first offset (0).

export type StateLossCause = "emptied" | "rolled_back";

export interface StateLoss {
  cause: StateLossCause;
  /** what Redis holds now (null: nothing) */
  storedOffset: string | null;
  /** the last offset the lost state had applied, as this replica or Kafka's committed offset knew it */
  reachedOffset: string;
}

export interface RebuildPlan {
  /** first offset to read again */
  from: string;
  /** the rebuild is complete once the stored offset reaches this (the lost state's last applied offset) */
  until: string;
  /** false when retention already deleted records the state was built from: the rebuilt state differs */
  exact: boolean;
  /** outputs and dead letters derived from offsets up to here were published before the loss: not again */
  publishedThrough: string | null;
}

const big = (offset: string | null): bigint => (offset === null ? -1n : BigInt(offset));
const max = (a: string | null, b: string | null): string | null => (big(a) >= big(b) ? a : b);

/** A failed fence at commit: `expected` is the offset this writer loaded or last wrote, `stored` what Redis has. */
export function fenceConflict(expected: string | null, stored: string | null): "moved" | StateLoss {
  if (expected === null) return "moved"; // another writer was first
  if (stored === null) return { cause: "emptied", storedOffset: null, reachedOffset: expected };
  if (BigInt(stored) < BigInt(expected)) return { cause: "rolled_back", storedOffset: stored, reachedOffset: expected };
  return "moved";
}

/**
 * At load: `committed` is Kafka's committed offset of the group (the next offset to read; null when none),
 * `logStart` the partition's first retained offset. With nothing stored, resuming at the log start loses
 * nothing that still exists (a fresh group, or the start of a rebuild that committed it).
 */
export function lossAtLoad(stored: string | null, committed: string | null, logStart: string): StateLoss | null {
  if (committed === null) return null;
  const next = stored === null ? BigInt(logStart) : BigInt(stored) + 1n;
  if (BigInt(committed) <= next) return null;
  const reachedOffset = (BigInt(committed) - 1n).toString();
  return { cause: stored === null ? "emptied" : "rolled_back", storedOffset: stored, reachedOffset };
}

/** Where to re-read from and what was already published; `committed` is Kafka's committed offset, if known. */
export function rebuildPlan(loss: StateLoss, logStart: string, publishedThrough: string | null, committed: string | null): RebuildPlan {
  const needed = big(loss.storedOffset) + 1n; // offset 0 when nothing is stored: the state began there
  const from = needed >= BigInt(logStart) ? needed : BigInt(logStart);
  // outputs of offsets below Kafka's committed offset were drained before it was committed
  const drainedThrough = committed === null ? null : (BigInt(committed) - 1n).toString();
  const published = max(publishedThrough, drainedThrough);
  return {
    from: from.toString(),
    until: loss.reachedOffset,
    exact: from === needed,
    publishedThrough: big(published) < 0n ? null : published,
  };
}

/**
 * The opposite loss: the log behind the stored offset is not the one the state was built from. Kafka's offsets
 * only grow, so a log whose end (`highWatermark`, the next offset to be written) is at or below the last
 * offset Redis applied was rewritten under the state: the topic was deleted and created again, or the service
 * now reads another cluster's copy (MirrorMaker keeps names, not offsets). With the group's committed offset
 * gone as well (deleting a topic deletes its committed offsets) it is a new log: its records were never
 * applied, though the fence would skip every one up to the stored offset. With a committed offset past the
 * end, the same log lost its last records (an unclean leader election): which of the records now at those
 * offsets are new cannot be told, so that is only reported.
 */
export function replacedLog(stored: string | null, committed: string | null, highWatermark: string): "replaced" | "truncated" | null {
  if (stored === null || BigInt(highWatermark) > BigInt(stored)) return null;
  return committed === null ? "replaced" : "truncated";
}
