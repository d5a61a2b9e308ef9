import { describe, expect, it } from "vitest";
import { describeStalls, PartitionProgress } from "../../../src/pipeline/partition-progress.ts";

const T = "ml.predictions";
const AFTER = 60_000;

function watch(partitions = [0, 1]): PartitionProgress {
  const p = new PartitionProgress(AFTER);
  p.assign(T, partitions);
  return p;
}

const at = (partition: number, logEnd: bigint, committed?: bigint, logStart = 0n) => ({ partition, logStart, logEnd, committed });

describe("partition progress", () => {
  it("a partition with records waiting that does not move for longer than the threshold is stalled, once", () => {
    const p = watch();
    p.readPositions(T, [at(0, 500n, 100n), at(1, 200n, 200n)], 0);
    expect(p.check(AFTER).stalls).toEqual([]); // exactly the threshold: not yet
    const first = p.check(AFTER + 1);
    expect(first.stalls).toEqual([{ topic: T, partition: 0, forMs: AFTER + 1, behind: 400 }]);
    expect(first.started).toEqual(first.stalls);
    const second = p.check(AFTER + 10_000);
    expect(second.stalls[0].forMs).toBe(AFTER + 10_000);
    expect(second.started).toEqual([]); // reported when it starts, not at every check
  });

  it("a caught-up partition that goes idle for an hour is not stalled", () => {
    const p = watch([0]);
    p.applied(T, 0, 1000n, 1000n, 0);
    p.readPositions(T, [at(0, 1000n, 1000n)], 3_600_000);
    expect(p.check(3_600_000).waiting).toEqual([]);
  });

  it("records that arrive after a long idle time count from when they were first seen, not from the last move", () => {
    const p = watch([0]);
    p.applied(T, 0, 1000n, 1000n, 0);
    p.readPositions(T, [at(0, 1200n, 1000n)], 3_600_000);
    expect(p.check(3_600_000 + 5_000).waiting).toEqual([{ topic: T, partition: 0, forMs: 5_000, behind: 200 }]);
    expect(p.check(3_600_000 + 5_000).stalls).toEqual([]);
  });

  it("a partition that moves while behind restarts its clock, and one that catches up ends its stall", () => {
    const p = watch([0]);
    p.readPositions(T, [at(0, 10_000n, 0n)], 0);
    expect(p.check(AFTER + 1).started).toHaveLength(1);
    p.applied(T, 0, 500n, 10_000n, AFTER + 2);
    const moved = p.check(AFTER + 3);
    expect(moved.stalls).toEqual([]);
    expect(moved.ended).toEqual([{ topic: T, partition: 0 }]);
    expect(moved.waiting).toEqual([{ topic: T, partition: 0, forMs: 1, behind: 9_500 }]);
    p.applied(T, 0, 10_000n, 10_000n, AFTER + 4);
    expect(p.check(AFTER * 10).waiting).toEqual([]);
  });

  it("before any batch, the committed offset says where the partition stands; below the log start nothing is left to read", () => {
    const p = watch([0, 1]);
    // partition 0: committed at the end (read by a previous owner); partition 1: no commit and retention
    // deleted everything before the log end
    p.readPositions(T, [at(0, 800n, 800n), at(1, 300n, undefined, 300n)], 0);
    expect(p.check(AFTER * 2).waiting).toEqual([]);
    expect(p.lags()).toEqual([
      { topic: T, partition: 0, lag: 0 },
      { topic: T, partition: 1, lag: 0 },
    ]);
  });

  it("the lag follows the log end even when no batch arrives (a gauge that does not freeze)", () => {
    const p = watch([0]);
    p.applied(T, 0, 100n, 100n, 0);
    expect(p.lags()).toEqual([{ topic: T, partition: 0, lag: 0 }]);
    p.readPositions(T, [at(0, 5_100n, 100n)], 10_000);
    expect(p.lags()).toEqual([{ topic: T, partition: 0, lag: 5_000 }]);
  });

  it("log ends that cannot be read for longer than the threshold are reported once, with the last error, and end with a read", () => {
    const p = watch([0]);
    p.readFailed("connect ECONNREFUSED 127.0.0.1:29294", 0);
    p.readFailed("connect ECONNREFUSED 127.0.0.1:29296", 30_000);
    expect(p.check(AFTER).unreadable).toBeUndefined();
    const late = p.check(AFTER + 1);
    expect(late.unreadable).toEqual({ forMs: AFTER + 1, message: "connect ECONNREFUSED 127.0.0.1:29296" });
    expect(late.unreadableStarted).toBe(true);
    expect(p.check(AFTER + 2).unreadableStarted).toBe(false);
    p.readPositions(T, [at(0, 0n, 0n)], AFTER + 3);
    const back = p.check(AFTER + 4);
    expect(back.unreadable).toBeUndefined();
    expect(back.unreadableEnded).toBe(true);
  });

  it("a rebuild that re-reads from an earlier offset is movement, not a stall", () => {
    const p = watch([0]);
    p.applied(T, 0, 5_000n, 6_000n, 0);
    p.applied(T, 0, 1_000n, 6_000n, AFTER); // lost state: re-read from the log start
    p.applied(T, 0, 1_500n, 6_000n, AFTER * 2 - 1);
    expect(p.check(AFTER * 2).stalls).toEqual([]);
    expect(p.lags()).toEqual([{ topic: T, partition: 0, lag: 4_500 }]);
  });

  it("a revoked partition is forgotten, and applying to a partition not assigned here does nothing", () => {
    const p = watch([0, 1]);
    p.readPositions(T, [at(0, 50n, 0n), at(1, 50n, 0n)], 0);
    p.assign(T, [1]);
    p.applied(T, 0, 10n, 50n, 1);
    expect(p.check(AFTER + 1).stalls.map((s) => s.partition)).toEqual([1]);
    expect(p.lags().map((l) => l.partition)).toEqual([1]);
  });

  it("describeStalls names each stalled partition and an unreadable log end for /readyz", () => {
    expect(describeStalls({ stalls: [], unreadable: undefined })).toBeUndefined();
    expect(
      describeStalls({
        stalls: [{ topic: T, partition: 2, forMs: 61_400, behind: 500 }],
        unreadable: { forMs: 65_000, message: "ECONNREFUSED" },
      }),
    ).toBe(
      "partition 2 of ml.predictions has not moved for 61 s with 500 records to read; " +
        "the log ends cannot be read from Kafka for 65 s (ECONNREFUSED)",
    );
  });
});
