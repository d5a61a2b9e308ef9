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

export function createOutputProducer(kafka: Kafka): Producer {
  // murmur2 partitioning like the Java client, so outputs keyed by modelId land where other clients expect
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
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
