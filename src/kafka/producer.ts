// The output side: an idempotent producer (no duplicates from the producer's own retries) and the
// encoding of outbox entries into Kafka messages. The outbox stores JSON; Avro (kafka.outputFormat: avro)
// is applied at publish time with the schema id registered under `<topic>-value`, so the outbox format
// does not depend on the output format. Key = modelId; header `event-id` / `request-id` = the
// deterministic id that lets consumers drop the duplicates an at-least-once relay can produce.
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { Partitioners, type Kafka, type Producer } from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { encodeBaselineEventAvro, encodeDriftEventAvro, encodeRetrainRequestAvro } from "../events/codec.ts";
import { readAvroSchemaText } from "../events/schema-files.ts";
import type { BaselineEvent, DriftEvent, RetrainRequest } from "../events/types.ts";
import type { OutboxEntry } from "../state/port.ts";
import { fitDeadLetter } from "./dead-letter.ts";
import { recordBytes } from "./record-size.ts";
import { registryUrlWithCredentials } from "./schema-cache.ts";
import { DetectorError } from "../errors/detector-error.ts";

/** A send to Kafka that got no answer (kafkajs neither resolved nor rejected it) within the deadline. */
export class ProducerSendTimeoutError extends DetectorError<{ topic: string }> {
  constructor(message: string, context: { topic: string }) {
    super(message, context, { retriable: true, dependency: "kafka" });
  }
}

/** What the service sends outputs with: kafkajs' producer, or the replacing one below. */
export type OutputProducer = Pick<Producer, "connect" | "send" | "disconnect">;

export function createOutputProducer(kafka: Kafka, onReplaced?: (cause: unknown) => void): OutputProducer {
  // murmur2 partitioning like the Java client, so outputs keyed by modelId land where other clients expect
  return new ReplacingIdempotentProducer(
    () =>
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
    onReplaced,
  );
}

/**
 * kafkajs' idempotent producer takes a partition's sequence number for a produce request and gives it back
 * when the request fails. But a request that failed for the client (a timeout while acks=all waited for
 * followers, a connection lost before the reply) may have been appended by the leader all the same. The
 * next batch sent to that partition then reuses the sequence, and if it has as many records the broker
 * takes it for a retry of the appended one: it answers success and drops the records. A lost retrain
 * request in kafka-cluster-failover.test.ts, with two of three nodes down, was this. The Java client bumps
 * its producer epoch in that case (KIP-360). Here the producer is replaced after any failed send (a new
 * producer id has no sequence history, so nothing is taken for a duplicate; the failed batch may be written
 * twice, which consumers drop by id), and sends go one at a time, so none takes a sequence a failing request
 * may hold.
 */
export class ReplacingIdempotentProducer implements OutputProducer {
  private current: Producer;
  private connecting: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly create: () => Producer,
    private readonly onReplaced?: (cause: unknown) => void,
    /** longer than kafkajs' own retries of a send take when brokers answer */
    private readonly sendDeadlineMs = 60_000,
  ) {
    this.current = create();
  }

  connect(): Promise<void> {
    this.connecting ??= this.current.connect().catch((err: unknown) => {
      this.connecting = undefined; // connect again on the next call
      throw err;
    });
    return this.connecting;
  }

  send(record: Parameters<Producer["send"]>[0]): ReturnType<Producer["send"]> {
    const run = async () => {
      let timer: NodeJS.Timeout | undefined;
      // One send (or connect) that never answers would hold every later one: past the deadline it counts as
      // failed, and the producer is replaced, so whatever it still does later cannot collide with a new sequence.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ProducerSendTimeoutError(`a send got no answer within ${this.sendDeadlineMs} ms`, { topic: record.topic })),
          this.sendDeadlineMs,
        );
      });
      try {
        // this producer, even if it is replaced meanwhile: a send abandoned at the deadline must not reach the new one
        const producer = this.current;
        const connecting = this.connect();
        const connectAndSend = async () => {
          await connecting;
          return producer.send(record);
        };
        return await Promise.race([connectAndSend(), deadline]);
      } catch (err) {
        this.replace(err);
        throw err;
      } finally {
        clearTimeout(timer);
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private replace(cause: unknown): void {
    const old = this.current;
    this.current = this.create();
    this.connecting = undefined;
    this.onReplaced?.(cause);
    // not awaited: closing a producer whose brokers are gone must not hold the next send
    void old.disconnect().catch(() => undefined);
  }

  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.current.disconnect();
  }
}

export interface OutputMessage {
  key: Buffer | string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export class OutputEncodeError extends DetectorError<{ id: string; topic: string }> {
  constructor(message: string, context: { id: string; topic: string }, options?: { cause?: unknown }) {
    super(message, context, options);
  }
}

/** An entry ready to send, or why it cannot be sent as itself (the relay then sends a fallback record). */
export type EncodedOutput =
  { ok: true; message: OutputMessage } | { ok: false; cause: "too_large_for_topic" | "encode_error"; detail: string };

export interface OutputEncoder {
  /**
   * `maxRecordBytes`: what one record may take under the topic's limit (record-size.ts recordBudget). A dead
   * letter is cut further to fit; an output that does not fit is not sent as itself.
   */
  encode(entry: OutboxEntry, maxRecordBytes?: number): EncodedOutput;
}

interface AvroSchemaIds {
  drift: number;
  retrain: number;
  baseline: number;
}

/** Registers the output schemas under `<topic>-value` (idempotent in the registry) and returns their ids. */
export async function registerOutputSchemas(config: ResolvedConfig): Promise<AvroSchemaIds> {
  const url = registryUrlWithCredentials(config);
  if (url === undefined)
    throw new OutputEncodeError("kafka.outputFormat is avro but schemaRegistry.url is not set", {
      id: "",
      topic: config.kafka.topics.drift,
    });
  const parsed = new URL(url);
  const auth =
    parsed.username !== "" ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : undefined;
  parsed.username = "";
  parsed.password = "";
  const registry = new SchemaRegistry({ host: parsed.toString().replace(/\/+$/, ""), ...(auth === undefined ? {} : { auth }) });
  const register = async (name: "drift-event" | "retrain-request" | "baseline-event", topic: string) =>
    (await registry.register({ type: SchemaType.AVRO, schema: readAvroSchemaText(name) }, { subject: `${topic}-value` })).id;
  return {
    drift: await register("drift-event", config.kafka.topics.drift),
    retrain: await register("retrain-request", config.kafka.topics.retrain),
    baseline: await register("baseline-event", config.kafka.topics.baseline),
  };
}

export function createOutputEncoder(avroIds?: AvroSchemaIds): OutputEncoder {
  const encodeOutput = (entry: OutboxEntry): OutputMessage => {
    const key = entry.key === null ? null : bufferOf(entry.key);
    const value = bufferOf(entry.value);
    const headers = { ...entry.headers };
    if (avroIds === undefined) return { key, value, headers: { ...headers, "content-type": "application/json" } };
    try {
      const parsed = JSON.parse(value.toString("utf8")) as unknown;
      const bytes =
        entry.kind === "retrain"
          ? encodeRetrainRequestAvro(parsed as RetrainRequest, avroIds.retrain)
          : entry.kind === "baseline"
            ? encodeBaselineEventAvro(parsed as BaselineEvent, avroIds.baseline)
            : encodeDriftEventAvro(parsed as DriftEvent, avroIds.drift);
      return { key, value: bufferOf(bytes), headers };
    } catch (cause) {
      throw new OutputEncodeError(
        `cannot encode outbox entry ${entry.id} for ${entry.topic} as Avro`,
        { id: entry.id, topic: entry.topic },
        { cause },
      );
    }
  };
  return {
    encode(entry, maxRecordBytes = Number.POSITIVE_INFINITY) {
      const tooLarge = (size: number): EncodedOutput => ({
        ok: false,
        cause: "too_large_for_topic",
        detail: `${size} bytes; ${entry.topic} takes records of at most ${maxRecordBytes} bytes`,
      });
      if (entry.kind === "dead-letter") {
        const message = fitDeadLetter(entry, maxRecordBytes);
        return message === null ? tooLarge(entry.value.byteLength) : { ok: true, message };
      }
      let message: OutputMessage;
      try {
        message = encodeOutput(entry);
      } catch (err) {
        const detail = err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ""}` : String(err);
        return { ok: false, cause: "encode_error", detail };
      }
      const size = recordBytes(message);
      return size <= maxRecordBytes ? { ok: true, message } : tooLarge(size);
    },
  };
}

/** A Buffer over the same memory (kafkajs needs Buffers). */
function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
