import { describe, expect, it } from "vitest";
import { InMemoryStateBackend, InMemoryStateStore } from "../../../src/state/memory-store.ts";
import { runStateStoreConformance } from "../../support/state-store-conformance.ts";

runStateStoreConformance("InMemoryStateStore", async () => {
  let nowMs = 1_700_000_000_000;
  const now = () => nowMs;
  const backend = new InMemoryStateBackend();
  const store = new InMemoryStateStore({ backend, now });
  return {
    store,
    peer: async () => new InMemoryStateStore({ backend, now }),
    advanceTime: async (ms) => {
      nowMs += ms;
    },
    cleanup: async () => store.close(),
  };
});

describe("InMemoryStateStore", () => {
  it("a lock is held until the clock reaches exactly acquire time + TTL", async () => {
    let nowMs = 0;
    const store = new InMemoryStateStore({ now: () => nowMs });
    await store.acquireRetrainLock("m", "r1", 1000);
    nowMs = 999;
    expect((await store.acquireRetrainLock("m", "r2", 1000)).acquired).toBe(false);
    nowMs = 1000;
    expect(await store.acquireRetrainLock("m", "r2", 1000)).toEqual({ acquired: true, holder: "r2" });
  });

  it("separate backends are separate stores", async () => {
    const a = new InMemoryStateStore();
    const b = new InMemoryStateStore();
    await a.acquireRetrainLock("m", "r1", 60_000);
    expect((await b.acquireRetrainLock("m", "r2", 60_000)).acquired).toBe(true);
  });
});
