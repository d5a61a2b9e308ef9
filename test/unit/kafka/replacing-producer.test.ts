import { describe, expect, it } from "vitest";
import type { Producer, RecordMetadata } from "kafkajs";
import { ProducerSendTimeoutError, ReplacingIdempotentProducer } from "../../../src/kafka/producer.ts";

/** A fake kafkajs producer: each send waits for the test to settle it; the log says what happened in which producer. */
function fakes() {
  const log: string[] = [];
  const pending: { settle: (err?: Error) => void }[] = [];
  let made = 0;
  const create = (): Producer => {
    const id = ++made;
    return {
      connect: async () => void log.push(`p${id} connect`),
      disconnect: async () => void log.push(`p${id} disconnect`),
      send: (record: { messages: { value: string }[] }) => {
        log.push(`p${id} send ${record.messages[0].value}`);
        return new Promise<RecordMetadata[]>((resolve, reject) =>
          pending.push({ settle: (err) => (err === undefined ? resolve([]) : reject(err)) }),
        );
      },
    } as unknown as Producer;
  };
  return { log, pending, create, made: () => made };
}

const record = (value: string) => ({ topic: "ml.retrain-requests", acks: -1, messages: [{ value }] });
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("ReplacingIdempotentProducer", () => {
  it("sends one at a time: a second send starts only once the first has its answer", async () => {
    const f = fakes();
    const producer = new ReplacingIdempotentProducer(f.create);
    const a = producer.send(record("a"));
    const b = producer.send(record("b"));
    await flush();
    expect(f.log).toEqual(["p1 connect", "p1 send a"]);
    f.pending[0].settle();
    await a;
    await flush();
    expect(f.log).toEqual(["p1 connect", "p1 send a", "p1 send b"]);
    f.pending[1].settle();
    await b;
  });

  it("after a failed send the next one goes through a new producer (a new producer id), and the failure reaches the caller", async () => {
    const f = fakes();
    const replaced: unknown[] = [];
    const producer = new ReplacingIdempotentProducer(f.create, (cause) => replaced.push(cause));
    const timeout = Object.assign(new Error("The request timed out"), { name: "KafkaJSProtocolError" });
    const a = producer.send(record("a"));
    const b = producer.send(record("b"));
    await flush();
    f.pending[0].settle(timeout);
    await expect(a).rejects.toBe(timeout);
    await flush();
    // b waited for a, and does not reuse a's producer: its sequence for the partition may be held by a's batch
    expect(f.log).toEqual(["p1 connect", "p1 send a", "p1 disconnect", "p2 connect", "p2 send b"]);
    expect(replaced).toEqual([timeout]);
    f.pending[1].settle();
    await b;
    expect(f.made()).toBe(2);
  });

  it("a send that never answers fails at the deadline as a retriable Kafka outage, and does not hold the next one", async () => {
    const f = fakes();
    const producer = new ReplacingIdempotentProducer(f.create, undefined, 20);
    const a = producer.send(record("a")); // never settled
    const b = producer.send(record("b"));
    const err = await a.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProducerSendTimeoutError);
    expect(err).toMatchObject({ retriable: true, dependency: "kafka" });
    await flush();
    expect(f.log).toEqual(["p1 connect", "p1 send a", "p1 disconnect", "p2 connect", "p2 send b"]);
    f.pending[1].settle();
    await b;
  });

  it("a send abandoned at the deadline while its producer still connects never reaches the new producer", async () => {
    const f = fakes();
    let connected: () => void = () => {};
    const slow = (): Producer => {
      const p = f.create();
      return { ...p, connect: () => new Promise<void>((r) => (connected = r)).then(() => p.connect()) } as Producer;
    };
    const producer = new ReplacingIdempotentProducer(slow, undefined, 20);
    await expect(producer.send(record("a"))).rejects.toBeInstanceOf(ProducerSendTimeoutError);
    connected(); // the old producer's connect answers late
    await flush();
    await flush();
    expect(f.log.filter((l) => l.startsWith("p2"))).toEqual([]);
    expect(f.log).toContain("p1 send a");
  });

  it("a send that succeeds keeps the producer; disconnect waits for the sends in flight", async () => {
    const f = fakes();
    const producer = new ReplacingIdempotentProducer(f.create);
    const a = producer.send(record("a"));
    await flush();
    const closing = producer.disconnect();
    await flush();
    expect(f.log).toEqual(["p1 connect", "p1 send a"]);
    f.pending[0].settle();
    await a;
    await closing;
    expect(f.log).toEqual(["p1 connect", "p1 send a", "p1 disconnect"]);
    expect(f.made()).toBe(1);
  });
});
