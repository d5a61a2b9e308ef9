// One behavioural suite for every StateStore adapter (the bullmq habit): memory-store.test.ts runs it
// against InMemoryStateStore, test/integration/redis-state-store.test.ts against RedisStateStore.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateStoreUnavailableError } from "../../src/state/errors.ts";
import {
  StaleStateError,
  type OutboxEntry,
  type PartitionRef,
  type PartitionWrite,
  type StateStore,
  type StoredModel,
} from "../../src/state/port.ts";

export interface StateStoreFixture {
  store: StateStore;
  /** another store instance over the same backend: a second replica */
  peer: () => Promise<StateStore>;
  /** let `ms` of lock time pass (advance a fake clock, or really wait) */
  advanceTime: (ms: number) => Promise<void>;
  cleanup: () => Promise<void>;
}

// mulberry32: fixed-seed bytes, so failures reproduce
export function seededBytes(seed: number, length: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const allByteValues = (): Uint8Array => Uint8Array.from({ length: 256 }, (_, i) => i);

const P0: PartitionRef = { group: "drift", topic: "predictions", partition: 0 };

function entry(id: string, value = `{"id":"${id}"}`, topic = "drift-events"): OutboxEntry {
  const kind = topic === "retrain-requests" ? "retrain" : "drift";
  return {
    id,
    kind,
    topic,
    key: text(`model-${id}`),
    value: text(value),
    headers: { [kind === "retrain" ? "request-id" : "event-id"]: id, "model-id": `model-${id}` },
  };
}

function write(expectedOffset: string | null, offset: string | null, extra: Partial<PartitionWrite> = {}): PartitionWrite {
  return { expectedOffset, offset, meta: text(`meta@${offset ?? "none"}`), models: new Map(), outbox: [], ...extra };
}

function modelsOf(entries: Record<string, Partial<StoredModel>>): Map<string, Partial<StoredModel>> {
  return new Map(Object.entries(entries));
}

/** Plain, comparable view of entries (Uint8Array vs Buffer subclasses compare unequal in toEqual). */
function plainEntries(entries: OutboxEntry[]) {
  return entries.map((e) => ({ ...e, key: e.key === null ? null : [...e.key], value: [...e.value] }));
}

function expectBytes(actual: Uint8Array | null | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual!.byteLength).toBe(expected.byteLength);
  expect(Buffer.compare(Buffer.from(actual!), Buffer.from(expected))).toBe(0);
}

export function runStateStoreConformance(name: string, makeStore: () => Promise<StateStoreFixture>): void {
  describe(`StateStore conformance: ${name}`, () => {
    let fx: StateStoreFixture;
    let store: StateStore;
    beforeEach(async () => {
      fx = await makeStore();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe("partition state", () => {
      it("a partition never written loads with offset null, no meta and no models", async () => {
        const loaded = await store.loadPartition(P0);
        expect(loaded.offset).toBeNull();
        expect(loaded.meta).toBeNull();
        expect(loaded.models.size).toBe(0);
      });

      it("a commit then a load returns the same offset, meta and model bytes", async () => {
        await store.commitPartition(
          P0,
          write(null, "41", {
            models: modelsOf({
              fraud: { hot: text("fraud-hot"), cold: text("fraud-cold") },
              churn: { hot: text("churn-hot"), cold: text("c") },
            }),
          }),
        );
        const loaded = await store.loadPartition(P0);
        expect(loaded.offset).toBe("41");
        expectBytes(loaded.meta, text("meta@41"));
        expect([...loaded.models.keys()].sort()).toEqual(["churn", "fraud"]);
        expectBytes(loaded.models.get("fraud")!.hot, text("fraud-hot"));
        expectBytes(loaded.models.get("fraud")!.cold, text("fraud-cold"));
        expectBytes(loaded.models.get("churn")!.hot, text("churn-hot"));
        expectBytes(loaded.models.get("churn")!.cold, text("c"));
      });

      it("successive commits fenced on the previous offset each succeed and the last one wins", async () => {
        await store.commitPartition(P0, write(null, "9"));
        await store.commitPartition(P0, write("9", "19"));
        await store.commitPartition(P0, write("19", "1234567890123456789"));
        const loaded = await store.loadPartition(P0);
        expect(loaded.offset).toBe("1234567890123456789");
        expectBytes(loaded.meta, text("meta@1234567890123456789"));
      });

      it("a commit with a wrong expectedOffset throws StaleStateError and changes no state, offset or outbox", async () => {
        await store.commitPartition(
          P0,
          write(null, "10", { models: modelsOf({ m: { hot: text("h10"), cold: text("c10") } }), outbox: [entry("e1")] }),
        );
        const stale = write("9", "20", {
          meta: text("should-not-land"),
          models: modelsOf({ m: { hot: text("h20"), cold: text("c20") }, other: { hot: text("x"), cold: text("y") } }),
          outbox: [entry("e2")],
        });
        const error = await store.commitPartition(P0, stale).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StaleStateError);
        expect((error as StaleStateError).context).toEqual({
          partition: P0,
          expectedOffset: "9",
          storedOffset: "10",
          expectedOutcomeOffset: null,
          storedOutcomeOffset: null,
        });

        // null expected against a stored offset is stale too (a second replica starting from scratch)
        await expect(store.commitPartition(P0, { ...stale, expectedOffset: null })).rejects.toBeInstanceOf(StaleStateError);

        const loaded = await store.loadPartition(P0);
        expect(loaded.offset).toBe("10");
        expectBytes(loaded.meta, text("meta@10"));
        expect([...loaded.models.keys()]).toEqual(["m"]);
        expectBytes(loaded.models.get("m")!.hot, text("h10"));
        expectBytes(loaded.models.get("m")!.cold, text("c10"));
        expect(plainEntries(await store.pendingOutbox(P0, 10))).toEqual(plainEntries([entry("e1")]));
      });

      it("a first commit that expects an offset on an empty partition is stale with storedOffset null and writes nothing", async () => {
        const error = await store.commitPartition(P0, write("5", "6", { outbox: [entry("e1")] })).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StaleStateError);
        expect((error as StaleStateError).context).toEqual({
          partition: P0,
          expectedOffset: "5",
          storedOffset: null,
          expectedOutcomeOffset: null,
          storedOutcomeOffset: null,
        });
        const loaded = await store.loadPartition(P0);
        expect(loaded.offset).toBeNull();
        expect(loaded.meta).toBeNull();
        expect(await store.pendingOutbox(P0, 10)).toEqual([]);
      });

      it("the outcome offset is stored with the prediction offset, and a write with neither offset starts from nothing", async () => {
        expect((await store.loadPartition(P0)).outcomeOffset).toBeNull();
        // outcomes only: no prediction applied yet
        await store.commitPartition(P0, write(null, null, { outcomeOffset: "3" }));
        let loaded = await store.loadPartition(P0);
        expect(loaded.offset).toBeNull();
        expect(loaded.outcomeOffset).toBe("3");
        await store.commitPartition(P0, write(null, "7", { expectedOutcomeOffset: "3", outcomeOffset: "3" }));
        await store.commitPartition(P0, write("7", "7", { expectedOutcomeOffset: "3", outcomeOffset: "12" }));
        loaded = await store.loadPartition(P0);
        expect([loaded.offset, loaded.outcomeOffset]).toEqual(["7", "12"]);
      });

      it("the fence covers the outcome offset: a writer that missed an outcomes-only write is stale and writes nothing", async () => {
        await store.commitPartition(P0, write(null, "10", { outcomeOffset: "4", outbox: [entry("e1")] }));
        // replica B applied outcomes only: the prediction offset did not move
        await store.commitPartition(P0, write("10", "10", { expectedOutcomeOffset: "4", outcomeOffset: "9" }));
        // replica A still believes (10, 4)
        const error = await store
          .commitPartition(P0, write("10", "20", { expectedOutcomeOffset: "4", outcomeOffset: "4", outbox: [entry("e2")] }))
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(StaleStateError);
        expect((error as StaleStateError).context).toEqual({
          partition: P0,
          expectedOffset: "10",
          storedOffset: "10",
          expectedOutcomeOffset: "4",
          storedOutcomeOffset: "9",
        });
        // a writer that never saw an outcome (expects none) is stale too
        await expect(store.commitPartition(P0, write("10", "20"))).rejects.toBeInstanceOf(StaleStateError);
        const loaded = await store.loadPartition(P0);
        expect([loaded.offset, loaded.outcomeOffset]).toEqual(["10", "9"]);
        expectBytes(loaded.meta, text("meta@10"));
        expect(plainEntries(await store.pendingOutbox(P0, 10))).toEqual(plainEntries([entry("e1")]));
      });

      it("a write of only the hot part keeps the stored cold part, and the reverse", async () => {
        await store.commitPartition(
          P0,
          write(null, "1", { models: modelsOf({ m: { hot: text("h1"), cold: text("c1") }, n: { hot: text("nh"), cold: text("nc") } }) }),
        );
        await store.commitPartition(P0, write("1", "2", { models: modelsOf({ m: { hot: text("h2") } }) }));
        let loaded = await store.loadPartition(P0);
        expectBytes(loaded.models.get("m")!.hot, text("h2"));
        expectBytes(loaded.models.get("m")!.cold, text("c1"));
        await store.commitPartition(P0, write("2", "3", { models: modelsOf({ m: { cold: text("c3") } }) }));
        loaded = await store.loadPartition(P0);
        expectBytes(loaded.models.get("m")!.hot, text("h2"));
        expectBytes(loaded.models.get("m")!.cold, text("c3"));
        // a model absent from the writes is untouched
        expectBytes(loaded.models.get("n")!.hot, text("nh"));
        expectBytes(loaded.models.get("n")!.cold, text("nc"));
      });

      it("a model written with only a cold part loads with an empty hot part", async () => {
        await store.commitPartition(P0, write(null, "1", { models: modelsOf({ m: { cold: text("c") } }) }));
        const loaded = await store.loadPartition(P0);
        expectBytes(loaded.models.get("m")!.hot, new Uint8Array(0));
        expectBytes(loaded.models.get("m")!.cold, text("c"));
      });

      it("cold parts are added and deleted per model in the same write, and load with their model", async () => {
        const window1 = seededBytes(1, 3000);
        await store.commitPartition(
          P0,
          write(null, "1", {
            models: new Map([
              [
                "m",
                {
                  hot: text("h1"),
                  cold: text("c1"),
                  putParts: new Map([
                    ["w0@5/v1", window1],
                    ["w1@9/v1", text("w1")],
                  ]),
                },
              ],
              ["a|b:{c}", { cold: text("c"), putParts: new Map([["k|with|bars", allByteValues()]]) }],
            ]),
          }),
        );
        let loaded = await store.loadPartition(P0);
        expect([...loaded.models.get("m")!.parts!.keys()].sort()).toEqual(["w0@5/v1", "w1@9/v1"]);
        expectBytes(loaded.models.get("m")!.parts!.get("w0@5/v1"), window1);
        expectBytes(loaded.models.get("m")!.parts!.get("w1@9/v1"), text("w1"));
        expect([...loaded.models.get("a|b:{c}")!.parts!.keys()]).toEqual(["k|with|bars"]);
        expectBytes(loaded.models.get("a|b:{c}")!.parts!.get("k|with|bars"), allByteValues());

        // one write adds a part and deletes another; a write without part changes keeps them
        await store.commitPartition(
          P0,
          write("1", "2", {
            models: new Map([["m", { cold: text("c2"), putParts: new Map([["w2@12/v1", text("w2")]]), deleteParts: ["w0@5/v1"] }]]),
          }),
        );
        await store.commitPartition(P0, write("2", "3", { models: new Map([["m", { hot: text("h3") }]]) }));
        loaded = await store.loadPartition(P0);
        expect([...loaded.models.get("m")!.parts!.keys()].sort()).toEqual(["w1@9/v1", "w2@12/v1"]);
        expectBytes(loaded.models.get("m")!.cold, text("c2"));
        expectBytes(loaded.models.get("m")!.parts!.get("w2@12/v1"), text("w2"));
        expect([...loaded.models.get("a|b:{c}")!.parts!.keys()]).toEqual(["k|with|bars"]);
      });

      it("a model's outcome record is stored apart from hot and cold, kept by writes without it, and deleted on eviction", async () => {
        await store.commitPartition(
          P0,
          write(null, "1", {
            models: new Map([
              ["m", { hot: text("h1"), cold: text("c1"), outcomes: text("join@1") }],
              ["plain", { hot: text("hp"), cold: text("cp") }],
            ]),
          }),
        );
        await store.commitPartition(P0, write("1", "2", { models: new Map([["m", { hot: text("h2") }]]) }));
        let loaded = await store.loadPartition(P0);
        expectBytes(loaded.models.get("m")!.outcomes, text("join@1"));
        expectBytes(loaded.models.get("m")!.hot, text("h2"));
        expect(loaded.models.get("plain")!.outcomes).toBeUndefined();
        await store.commitPartition(P0, write("2", "2", { outcomeOffset: "0", models: new Map([["m", { outcomes: text("join@2") }]]) }));
        loaded = await store.loadPartition(P0);
        expectBytes(loaded.models.get("m")!.outcomes, text("join@2"));
        // a model that so far has only outcome state (outcomes came before any prediction) loads too
        await store.commitPartition(
          P0,
          write("2", "2", { expectedOutcomeOffset: "0", outcomeOffset: "1", models: new Map([["early", { outcomes: text("e") }]]) }),
        );
        loaded = await store.loadPartition(P0);
        expectBytes(loaded.models.get("early")!.outcomes, text("e"));
        await store.commitPartition(
          P0,
          write("2", "3", { expectedOutcomeOffset: "1", outcomeOffset: "1", models: new Map([["m", { remove: true, deleteParts: [] }]]) }),
        );
        loaded = await store.loadPartition(P0);
        expect([...loaded.models.keys()].sort()).toEqual(["early", "plain"]);
      });

      it("a model's join entries are put and deleted field by field, kept by writes without them, and load with its outcome record", async () => {
        const join = (put: Record<string, string>, del: string[] = []) => ({
          put: new Map(Object.entries(put).map(([f, v]) => [f, text(v)])),
          delete: del,
        });
        const fieldsOf = (m: StoredModel | undefined) =>
          Object.fromEntries([...(m?.joinEntries ?? [])].map(([f, v]) => [f, Buffer.from(v).toString("utf8")]));
        await store.commitPartition(
          P0,
          write(null, "1", { models: new Map([["m", { outcomes: text("o1"), join: join({ pa: "1", pb: "2", "e:x|{y}": "3" }) }]]) }),
        );
        let loaded = await store.loadPartition(P0);
        expect(fieldsOf(loaded.models.get("m"))).toEqual({ pa: "1", pb: "2", "e:x|{y}": "3" });
        // a write without join changes keeps them; a put overwrites, a delete removes, an absent delete is ignored
        await store.commitPartition(P0, write("1", "2", { models: new Map([["m", { hot: text("h") }]]) }));
        await store.commitPartition(
          P0,
          write("2", "3", { models: new Map([["m", { outcomes: text("o3"), join: join({ pb: "22", jc: "4" }, ["pa", "never"]) }]]) }),
        );
        loaded = await store.loadPartition(P0);
        expect(fieldsOf(loaded.models.get("m"))).toEqual({ pb: "22", jc: "4", "e:x|{y}": "3" });
        expectBytes(loaded.models.get("m")!.outcomes, text("o3"));
        // a model with an outcome record and no entries loads with an empty join; one without outcomes has none
        await store.commitPartition(
          P0,
          write("3", "4", {
            models: new Map([
              ["n", { outcomes: text("n"), cold: text("c") }],
              ["q", { cold: text("c") }],
            ]),
          }),
        );
        loaded = await store.loadPartition(P0);
        expect(loaded.models.get("n")!.joinEntries?.size).toBe(0);
        expect(loaded.models.get("q")!.joinEntries).toBeUndefined();
        // a stale write changes no entries
        await expect(
          store.commitPartition(P0, write("1", "5", { models: new Map([["m", { join: join({ pz: "9" }, ["pb"]) }]]) })),
        ).rejects.toBeInstanceOf(StaleStateError);
        loaded = await store.loadPartition(P0);
        expect(fieldsOf(loaded.models.get("m"))).toEqual({ pb: "22", jc: "4", "e:x|{y}": "3" });
        // eviction deletes them all; a model evicted and admitted again in one write keeps only the new ones
        await store.commitPartition(
          P0,
          write("4", "5", { models: new Map([["m", { remove: true, outcomes: text("o5"), join: join({ pnew: "5" }) }]]) }),
        );
        loaded = await store.loadPartition(P0);
        expect(fieldsOf(loaded.models.get("m"))).toEqual({ pnew: "5" });
        expectBytes(loaded.models.get("m")!.outcomes, text("o5"));
        expect(loaded.models.get("m")!.hot.byteLength).toBe(0);
        await store.commitPartition(P0, write("5", "6", { models: new Map([["m", { remove: true, deleteParts: [] }]]) }));
        loaded = await store.loadPartition(P0);
        expect(loaded.models.has("m")).toBe(false);
        // admitted again later: nothing of the evicted one comes back
        await store.commitPartition(P0, write("6", "7", { models: new Map([["m", { outcomes: text("o7") }]]) }));
        loaded = await store.loadPartition(P0);
        expect(fieldsOf(loaded.models.get("m"))).toEqual({});
      });

      it("thousands of join entries in one write (more than one script call's batch) are all stored, and all deleted", async () => {
        const put = new Map<string, Uint8Array>();
        for (let i = 0; i < 2500; i++) put.set(`p${i}`, seededBytes(i, 1 + (i % 90)));
        await store.commitPartition(P0, write(null, "1", { models: new Map([["m", { outcomes: text("o"), join: { put, delete: [] } }]]) }));
        let loaded = await store.loadPartition(P0);
        const got = loaded.models.get("m")!.joinEntries!;
        expect(got.size).toBe(2500);
        for (const [f, v] of put) expectBytes(got.get(f), v);
        await store.commitPartition(
          P0,
          write("1", "2", {
            models: new Map([["m", { outcomes: text("o"), join: { put: new Map(), delete: [...put.keys()].slice(1) } }]]),
          }),
        );
        loaded = await store.loadPartition(P0);
        expect([...loaded.models.get("m")!.joinEntries!.keys()]).toEqual(["p0"]);
      });

      it("an evicted model's hot and cold records and parts are deleted; other models stay", async () => {
        await store.commitPartition(
          P0,
          write(null, "1", {
            models: new Map([
              ["gone", { hot: text("h"), cold: text("c"), putParts: new Map([["w0@1/v", text("w0")]]) }],
              ["kept", { hot: text("hk"), cold: text("ck") }],
            ]),
          }),
        );
        await store.commitPartition(P0, write("1", "2", { models: new Map([["gone", { remove: true, deleteParts: ["w0@1/v"] }]]) }));
        const loaded = await store.loadPartition(P0);
        expect([...loaded.models.keys()]).toEqual(["kept"]);
        expectBytes(loaded.models.get("kept")!.cold, text("ck"));
      });

      it("a stale write changes no parts", async () => {
        await store.commitPartition(
          P0,
          write(null, "1", { models: new Map([["m", { cold: text("c1"), putParts: new Map([["w0@1/v", text("w0")]]) }]]) }),
        );
        const error = await store
          .commitPartition(
            P0,
            write("0", "2", {
              models: new Map([["m", { cold: text("c2"), putParts: new Map([["w1@2/v", text("w1")]]), deleteParts: ["w0@1/v"] }]]),
            }),
          )
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(StaleStateError);
        const loaded = await store.loadPartition(P0);
        expect([...loaded.models.get("m")!.parts!.keys()]).toEqual(["w0@1/v"]);
        expectBytes(loaded.models.get("m")!.cold, text("c1"));
      });

      it("mutating the caller's buffers after a commit or a load does not change what is stored", async () => {
        const hot = text("hot-bytes");
        const meta = text("meta-bytes");
        await store.commitPartition(P0, { ...write(null, "1"), meta, models: modelsOf({ m: { hot, cold: text("c") } }) });
        hot.fill(0);
        meta.fill(0);
        const first = await store.loadPartition(P0);
        expectBytes(first.models.get("m")!.hot, text("hot-bytes"));
        expectBytes(first.meta, text("meta-bytes"));
        first.models.get("m")!.hot.fill(1);
        first.meta!.fill(1);
        const second = await store.loadPartition(P0);
        expectBytes(second.models.get("m")!.hot, text("hot-bytes"));
        expectBytes(second.meta, text("meta-bytes"));
      });
    });

    describe("outbox", () => {
      it("pending entries come back oldest first across commits, with their topic, key and value, up to the limit", async () => {
        await store.commitPartition(P0, write(null, "1", { outbox: [entry("e1"), entry("e2", "two", "retrain-requests")] }));
        await store.commitPartition(P0, write("1", "2", { outbox: [entry("e3")] }));
        expect(plainEntries(await store.pendingOutbox(P0, 10))).toEqual(
          plainEntries([entry("e1"), entry("e2", "two", "retrain-requests"), entry("e3")]),
        );
        expect((await store.pendingOutbox(P0, 2)).map((e) => e.id)).toEqual(["e1", "e2"]);
        expect(await store.pendingOutbox(P0, 0)).toEqual([]);
      });

      it("an entry whose id is already pending is not appended again and keeps its first value and place", async () => {
        await store.commitPartition(P0, write(null, "1", { outbox: [entry("e1"), entry("e2")] }));
        await store.commitPartition(P0, write("1", "2", { outbox: [entry("e2", "replayed"), entry("e3"), entry("e3", "dup-in-batch")] }));
        expect(plainEntries(await store.pendingOutbox(P0, 10))).toEqual(plainEntries([entry("e1"), entry("e2"), entry("e3")]));
      });

      it("ack removes exactly the given entries and acking again or acking unknown ids is a no-op", async () => {
        await store.commitPartition(P0, write(null, "1", { outbox: ["e1", "e2", "e3", "e4"].map((id) => entry(id)) }));
        await store.ackOutbox(P0, ["e1", "e3"]);
        expect((await store.pendingOutbox(P0, 10)).map((e) => e.id)).toEqual(["e2", "e4"]);
        await store.ackOutbox(P0, ["e1", "e3", "never-written"]);
        await store.ackOutbox(P0, []);
        await store.ackOutbox({ ...P0, partition: 99 }, ["e2"]);
        expect((await store.pendingOutbox(P0, 10)).map((e) => e.id)).toEqual(["e2", "e4"]);
        await store.ackOutbox(P0, ["e2", "e4"]);
        expect(await store.pendingOutbox(P0, 10)).toEqual([]);
        // offset and state are not touched by acks
        expect((await store.loadPartition(P0)).offset).toBe("1");
      });

      it("an acked entry committed again in a later batch is pending again, after older pending ones", async () => {
        await store.commitPartition(P0, write(null, "1", { outbox: [entry("e1"), entry("e2")] }));
        await store.ackOutbox(P0, ["e1"]);
        await store.commitPartition(P0, write("1", "2", { outbox: [entry("e1")] }));
        expect((await store.pendingOutbox(P0, 10)).map((e) => e.id)).toEqual(["e2", "e1"]);
      });
    });

    describe("isolation", () => {
      it("partitions, topics and groups keep separate offsets, models and outboxes", async () => {
        const refs: PartitionRef[] = [P0, { ...P0, partition: 1 }, { ...P0, topic: "outcomes" }, { ...P0, group: "drift-shadow" }];
        for (const [i, ref] of refs.entries()) {
          await store.commitPartition(
            ref,
            write(null, String(100 + i), {
              models: modelsOf({ m: { hot: text(`h${i}`), cold: text(`c${i}`) } }),
              outbox: [entry(`e${i}`)],
            }),
          );
        }
        for (const [i, ref] of refs.entries()) {
          const loaded = await store.loadPartition(ref);
          expect(loaded.offset).toBe(String(100 + i));
          expectBytes(loaded.models.get("m")!.hot, text(`h${i}`));
          expect((await store.pendingOutbox(ref, 10)).map((e) => e.id)).toEqual([`e${i}`]);
        }
        expect((await store.loadPartition({ ...P0, partition: 2 })).offset).toBeNull();
      });

      it("ids containing key separators and braces cannot collide: group 'a:b'/topic 'c' differs from group 'a'/topic 'b:c'", async () => {
        const tricky: PartitionRef[] = [
          { group: "a:b", topic: "c", partition: 0 },
          { group: "a", topic: "b:c", partition: 0 },
          { group: "a|t:b", topic: "c", partition: 0 },
          { group: "a", topic: "b|p:0}", partition: 0 },
          { group: "{a}", topic: "%7Ba%7D", partition: 0 },
          { group: "%7Ba%7D", topic: "{a}", partition: 0 },
          { group: "グループ", topic: "🚀", partition: 0 },
        ];
        for (const [i, ref] of tricky.entries()) {
          await store.commitPartition(
            ref,
            write(null, String(i), { models: modelsOf({ [`model:{${i}}|x`]: { hot: text(`h${i}`), cold: text(`c${i}`) } }) }),
          );
        }
        for (const [i, ref] of tricky.entries()) {
          const loaded = await store.loadPartition(ref);
          expect(loaded.offset).toBe(String(i));
          expect([...loaded.models.keys()]).toEqual([`model:{${i}}|x`]);
          expectBytes(loaded.models.get(`model:{${i}}|x`)!.cold, text(`c${i}`));
        }
      });
    });

    describe("retrain lock", () => {
      it("is exclusive across two store instances sharing the backend and reports the holder", async () => {
        const peer = await fx.peer();
        expect(await store.acquireRetrainLock("fraud", "req-1", 60_000)).toEqual({ acquired: true, holder: "req-1" });
        expect(await peer.acquireRetrainLock("fraud", "req-2", 60_000)).toEqual({ acquired: false, holder: "req-1" });
        expect(await store.acquireRetrainLock("fraud", "req-3", 60_000)).toEqual({ acquired: false, holder: "req-1" });
        // another model is a different lock
        expect(await peer.acquireRetrainLock("churn", "req-2", 60_000)).toEqual({ acquired: true, holder: "req-2" });
      });

      it("is re-entrant for the same requestId, from either replica", async () => {
        const peer = await fx.peer();
        expect(await store.acquireRetrainLock("fraud", "req-1", 60_000)).toEqual({ acquired: true, holder: "req-1" });
        expect(await store.acquireRetrainLock("fraud", "req-1", 60_000)).toEqual({ acquired: true, holder: "req-1" });
        expect(await peer.acquireRetrainLock("fraud", "req-1", 60_000)).toEqual({ acquired: true, holder: "req-1" });
      });

      it("expires after its TTL, and re-acquiring does not extend it", async () => {
        const peer = await fx.peer();
        expect((await store.acquireRetrainLock("fraud", "req-1", 600)).acquired).toBe(true);
        await fx.advanceTime(300);
        expect(await peer.acquireRetrainLock("fraud", "req-2", 600)).toEqual({ acquired: false, holder: "req-1" });
        expect((await store.acquireRetrainLock("fraud", "req-1", 600)).acquired).toBe(true); // a reset would expire at ~900
        await fx.advanceTime(450); // ~750 ms after the first acquire: past 600, before 900
        expect(await peer.acquireRetrainLock("fraud", "req-2", 600)).toEqual({ acquired: true, holder: "req-2" });
      });

      it("rejects a TTL that is not a positive integer", async () => {
        await expect(store.acquireRetrainLock("fraud", "req-1", 0)).rejects.toBeInstanceOf(RangeError);
        await expect(store.acquireRetrainLock("fraud", "req-1", 1.5)).rejects.toBeInstanceOf(RangeError);
      });
    });

    describe("reference baselines", () => {
      it("are stored per model and version, overwritten by a second put, and null when absent", async () => {
        expect(await store.getReferenceBaseline("fraud", "v1")).toBeNull();
        await store.putReferenceBaseline("fraud", "v1", text("ref-v1"));
        await store.putReferenceBaseline("fraud", "v2", text("ref-v2"));
        await store.putReferenceBaseline("fraud:v1", "", text("tricky"));
        expectBytes(await store.getReferenceBaseline("fraud", "v1"), text("ref-v1"));
        expectBytes(await store.getReferenceBaseline("fraud", "v2"), text("ref-v2"));
        expectBytes(await store.getReferenceBaseline("fraud:v1", ""), text("tricky"));
        expect(await store.getReferenceBaseline("churn", "v1")).toBeNull();
        await store.putReferenceBaseline("fraud", "v1", text("ref-v1b"));
        expectBytes(await store.getReferenceBaseline("fraud", "v1"), text("ref-v1b"));
      });
    });

    describe("binary values", () => {
      it("all 256 byte values, empty arrays and 1 MiB values round-trip exactly in state, outbox and baselines", async () => {
        const mib = seededBytes(7, 1 << 20);
        const mib2 = seededBytes(8, 1 << 20);
        const all = allByteValues();
        const empty = new Uint8Array(0);
        // a view into a larger buffer: only the viewed bytes may be stored
        const backing = seededBytes(9, 64);
        const view = backing.subarray(10, 42);
        // every byte value in key and value, a null key, empty everything, a header with non-ASCII text
        const binaryEntries: OutboxEntry[] = [
          {
            id: "bin",
            kind: "dead-letter",
            topic: "t",
            key: all,
            value: all,
            headers: { reason: "invalid_json", error: "bad \u00e9 \u{1F600}" },
          },
          { id: "empty", kind: "drift", topic: "", key: empty, value: empty, headers: {} },
          { id: "no-key", kind: "retrain", topic: "r", key: null, value: view, headers: { "request-id": "no-key" } },
        ];
        await store.commitPartition(P0, {
          expectedOffset: null,
          offset: "1",
          meta: all,
          models: modelsOf({ big: { hot: mib, cold: mib2 }, empty: { hot: empty, cold: empty }, all: { hot: all, cold: view } }),
          outbox: binaryEntries,
        });
        const loaded = await store.loadPartition(P0);
        expectBytes(loaded.meta, all);
        expectBytes(loaded.models.get("big")!.hot, mib);
        expectBytes(loaded.models.get("big")!.cold, mib2);
        expectBytes(loaded.models.get("empty")!.hot, empty);
        expectBytes(loaded.models.get("empty")!.cold, empty);
        expectBytes(loaded.models.get("all")!.hot, all);
        expectBytes(loaded.models.get("all")!.cold, view);
        const pending = await store.pendingOutbox(P0, 10);
        expect(plainEntries(pending)).toEqual(plainEntries(binaryEntries));
        await store.putReferenceBaseline("big", "v1", mib);
        await store.putReferenceBaseline("empty", "v1", empty);
        expectBytes(await store.getReferenceBaseline("big", "v1"), mib);
        expectBytes(await store.getReferenceBaseline("empty", "v1"), empty);
      });

      it("an empty meta is stored as empty bytes, not as absent", async () => {
        await store.commitPartition(P0, { ...write(null, "3"), meta: new Uint8Array(0) });
        expectBytes((await store.loadPartition(P0)).meta, new Uint8Array(0));
      });
    });

    describe("lifecycle", () => {
      it("a closed store rejects every operation with StateStoreUnavailableError", async () => {
        const peer = await fx.peer();
        await peer.close();
        await expect(peer.loadPartition(P0)).rejects.toBeInstanceOf(StateStoreUnavailableError);
        await expect(peer.commitPartition(P0, write(null, "1"))).rejects.toBeInstanceOf(StateStoreUnavailableError);
        await expect(peer.acquireRetrainLock("m", "r", 1000)).rejects.toBeInstanceOf(StateStoreUnavailableError);
        await expect(peer.getReferenceBaseline("m", "v")).rejects.toBeInstanceOf(StateStoreUnavailableError);
        // closing one replica leaves the shared backend usable by the other
        expect((await store.loadPartition(P0)).offset).toBeNull();
      });
    });
  });
}

/**
 * A fixture of stores that share one backend, each made by `open(keyPrefix)` under one fresh key prefix (a
 * RedisStateStore on a cluster or through a Sentinel): lock time passes for real, and cleanup closes them all.
 */
export function sharedBackendFixture(open: (keyPrefix: string) => StateStore, keyPrefix: string): StateStoreFixture {
  const stores = [open(keyPrefix)];
  return {
    store: stores[0],
    peer: async () => {
      const peer = open(keyPrefix);
      stores.push(peer);
      return peer;
    },
    advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    cleanup: async () => {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}
