// RedisStateStore against a real Redis: the shared conformance suite plus what only Redis can show
// (no partial writes when a script fails, one cluster slot per partition, script cache loss, outages).
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { StateStoreCorruptError, StateStoreUnavailableError } from "../../src/state/errors.ts";
import { partitionHashTag, partitionKeys, retrainLockKey, referenceBaselineKey } from "../../src/state/keys.ts";
import type { PartitionRef, PartitionWrite } from "../../src/state/port.ts";
import { RedisStateStore } from "../../src/state/redis-store.ts";
import { InfraNotProvidedError, uniqueName } from "../support/infra.ts";
import { runStateStoreConformance } from "../support/state-store-conformance.ts";

function redisUrl(): string {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  const provided = inject("redisUrl"); // from test/integration/global-setup.ts
  if (!provided) throw new InfraNotProvidedError();
  return provided;
}

const uniquePrefix = (): string => uniqueName("state-store");

async function deleteKeys(admin: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) deleted += await admin.del(...keys);
  } while (cursor !== "0");
  return deleted;
}

async function keysUnder(admin: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found.sort();
}

runStateStoreConformance("RedisStateStore", async () => {
  const url = redisUrl();
  const keyPrefix = uniquePrefix();
  const store = new RedisStateStore(url, { keyPrefix });
  const peers: RedisStateStore[] = [];
  return {
    store,
    peer: async () => {
      const peer = new RedisStateStore(url, { keyPrefix });
      peers.push(peer);
      return peer;
    },
    advanceTime: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    cleanup: async () => {
      const admin = new Redis(url);
      await deleteKeys(admin, keyPrefix);
      await admin.quit();
      await Promise.all([store, ...peers].map((s) => s.close()));
    },
  };
});

// CRC16-CCITT (XMODEM) over the hash tag, as Redis Cluster assigns slots (cluster spec, appendix A).
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function clusterSlot(key: string): number {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) return crc16(Buffer.from(key.slice(open + 1, close), "utf8")) % 16384;
  }
  return crc16(Buffer.from(key, "utf8")) % 16384;
}

const P: PartitionRef = { group: "drift", topic: "predictions", partition: 3 };
const bytes = (s: string) => new TextEncoder().encode(s);

function fullWrite(expectedOffset: string | null, offset: string): PartitionWrite {
  return {
    expectedOffset,
    offset,
    meta: bytes(`meta@${offset}`),
    models: new Map([
      ["fraud", { hot: bytes(`fh@${offset}`), cold: bytes(`fc@${offset}`) }],
      ["churn", { hot: bytes(`ch@${offset}`), cold: bytes(`cc@${offset}`) }],
    ]),
    outbox: [
      { id: `ev-${offset}`, kind: "drift", topic: "drift-events", key: bytes("fraud"), value: bytes(`{"o":${offset}}`), headers: {} },
    ],
  };
}

describe("RedisStateStore on a real Redis", () => {
  let url: string;
  let admin: Redis;
  let keyPrefix: string;
  let store: RedisStateStore;

  beforeAll(() => {
    url = redisUrl();
    admin = new Redis(url);
  });
  afterAll(async () => {
    await admin.quit();
  });

  const withStore = (body: () => Promise<void>) => async () => {
    keyPrefix = uniquePrefix();
    store = new RedisStateStore(url, { keyPrefix });
    try {
      await body();
    } finally {
      await store.close();
      await deleteKeys(admin, keyPrefix);
    }
  };

  it(
    "a commit that meets a wrong-typed key on its last model key writes nothing: offset, meta, models and outbox stay as they were",
    withStore(async () => {
      await store.commitPartition(P, fullWrite(null, "10"));
      const keys = partitionKeys(keyPrefix, P);
      const before = await admin.dump(keys.hot);
      // the cold hash becomes a list: HSET on it would fail after offset, meta and hot were already set
      await admin.del(keys.cold);
      await admin.rpush(keys.cold, "not-a-hash");

      const error = await store.commitPartition(P, fullWrite("10", "20")).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StateStoreCorruptError);
      expect((error as StateStoreCorruptError).context).toMatchObject({ operation: "commitPartition", partition: P, key: keys.cold });

      expect(await admin.get(keys.offset)).toBe("10");
      expect(await admin.get(keys.meta)).toBe("meta@10");
      expect(await admin.dump(keys.hot)).toEqual(before);
      expect(await admin.zrange(keys.outboxOrder, 0, -1)).toEqual(["ev-10"]);
      expect(await admin.hkeys(keys.outboxEntries)).toEqual(["ev-10"]);
    }),
  );

  it(
    "a load that meets a wrong-typed key fails with StateStoreCorruptError naming the key",
    withStore(async () => {
      const keys = partitionKeys(keyPrefix, P);
      await admin.set(keys.hot, "a string, not a hash");
      const error = await store.loadPartition(P).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StateStoreCorruptError);
      expect((error as StateStoreCorruptError).context).toMatchObject({ operation: "loadPartition", key: keys.hot });
    }),
  );

  it(
    "a commit whose outbox sequence counter is not an integer (the last key it would touch) writes nothing",
    withStore(async () => {
      const keys = partitionKeys(keyPrefix, P);
      await admin.set(keys.outboxSeq, "garbage");
      await expect(store.commitPartition(P, fullWrite(null, "1"))).rejects.toBeInstanceOf(StateStoreCorruptError);
      expect(await keysUnder(admin, keyPrefix)).toEqual([keys.outboxSeq]);
    }),
  );

  it("Redis itself keeps the writes of a script that fails half-way, which is why the scripts check before writing", async () => {
    const prefix = uniquePrefix();
    const a = `${prefix}:{t}:a`;
    const b = `${prefix}:{t}:b`;
    await admin.rpush(b, "list");
    await expect(admin.eval("redis.call('SET', KEYS[1], 'x'); redis.call('HSET', KEYS[2], 'f', 'v'); return 1", 2, a, b)).rejects.toThrow(
      /WRONGTYPE/,
    );
    expect(await admin.get(a)).toBe("x");
    await deleteKeys(admin, prefix);
  });

  it("slot computation matches CLUSTER KEYSLOT answers recorded from a cluster-enabled Redis 7.0", () => {
    expect(crc16(Buffer.from("123456789"))).toBe(0x31c3);
    const recorded: Record<string, number> = {
      "123456789": 12739,
      somekey: 11058,
      "foo{hash_tag}": 2515,
      "dd:{g:drift|t:predictions|p:0}:offset": 7702,
      "dd:retrain-lock:{fraud}": 3217,
      "x{}y": 16116,
      "{}{a}": 13650,
      "a{{b}}": 6215,
    };
    for (const [key, slot] of Object.entries(recorded)) expect([key, clusterSlot(key)]).toEqual([key, slot]);
  });

  it("all keys of one partition hash to one cluster slot, also for ids containing braces and separators", () => {
    const refs: PartitionRef[] = [P, { group: "{g}", topic: "a}b{c", partition: 7 }, { group: "x|t:y", topic: "🚀", partition: 0 }];
    for (const ref of refs) {
      const keys = Object.values(partitionKeys("dd", ref));
      const expected = crc16(Buffer.from(partitionHashTag(ref), "utf8")) % 16384;
      expect(keys.map(clusterSlot)).toEqual(keys.map(() => expected));
    }
    expect(clusterSlot(retrainLockKey("dd", "{fraud}"))).toBe(crc16(Buffer.from("%7Bfraud%7D")) % 16384);
    expect(clusterSlot(referenceBaselineKey("dd", "fraud", "v{1}"))).toBe(clusterSlot(retrainLockKey("dd", "fraud")));
  });

  it(
    "a commit writes only keys in its partition's slot",
    withStore(async () => {
      await store.commitPartition(P, fullWrite(null, "1"));
      const written = await keysUnder(admin, keyPrefix);
      expect(written.length).toBe(7);
      const slot = crc16(Buffer.from(partitionHashTag(P))) % 16384;
      expect(written.map(clusterSlot)).toEqual(written.map(() => slot));
    }),
  );

  it(
    "scripts still run after Redis loses its script cache (EVALSHA falls back to EVAL)",
    withStore(async () => {
      await store.commitPartition(P, fullWrite(null, "1"));
      await admin.script("FLUSH");
      await store.commitPartition(P, fullWrite("1", "2"));
      expect((await store.loadPartition(P)).offset).toBe("2");
      expect((await store.pendingOutbox(P, 10)).map((e) => e.id)).toEqual(["ev-1", "ev-2"]);
    }),
  );

  it("an unreachable Redis gives StateStoreUnavailableError carrying the operation, partition and cause", async () => {
    const dead = new RedisStateStore("redis://127.0.0.1:1", {
      redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true },
    });
    const error = await dead.loadPartition(P).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StateStoreUnavailableError);
    expect((error as StateStoreUnavailableError).context).toEqual({ operation: "loadPartition", partition: P });
    expect((error as Error).cause).toBeInstanceOf(Error);
    await dead.close();
  });

  it("a store given a client does not close it", async () => {
    const client = new Redis(url);
    const prefix = uniquePrefix();
    const shared = new RedisStateStore(client, { keyPrefix: prefix });
    await shared.putReferenceBaseline("m", "v1", bytes("ref"));
    await shared.close();
    expect(await client.exists(referenceBaselineKey(prefix, "m", "v1"))).toBe(1);
    await deleteKeys(client, prefix);
    await client.quit();
  });

  it("a key prefix containing a brace is refused because it would move the hash tag", () => {
    expect(() => new RedisStateStore(admin, { keyPrefix: "d{d}" })).toThrow(/hash tag/);
  });
});
