// `drift-detector baseline repin` and `baseline reset` write control records (events/control-record.ts) to
// every partition of the predictions topic — a model's events may reach any partition, and each partition's
// state is its own — so the replica that owns a partition applies the command in offset order under the
// partition's offset fence, atomically with the state it changes, and a rebuild from the retained history
// applies it again at the same place (detect/reference-commands.ts).
import kafkajs from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { CONTROL_HEADER, encodeControlRecord, type ControlRecord } from "../events/control-record.ts";
import { kafkaConnectionOptions } from "../kafka/clients.ts";

export interface PublishedControlRecords {
  topic: string;
  /** partition → offset of its control record */
  offsets: Map<number, string>;
}

/** Writes one control record per partition of the predictions topic (acks all, idempotent producer). */
export async function publishControlRecords(
  config: ResolvedConfig,
  controls: readonly ControlRecord[],
): Promise<PublishedControlRecords[]> {
  const topic = config.kafka.topics.predictions;
  const kafka = new kafkajs.Kafka({
    clientId: `${config.kafka.clientId}-control`,
    ...kafkaConnectionOptions(config),
    logLevel: kafkajs.logLevel.ERROR,
  });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await admin.connect();
  try {
    await producer.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = (metadata.topics[0]?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
    const published: PublishedControlRecords[] = [];
    for (const control of controls) {
      const value = Buffer.from(encodeControlRecord(control));
      const sent = await producer.send({
        topic,
        acks: -1,
        messages: partitions.map((partition) => ({
          partition,
          key: control.modelId,
          value,
          headers: { [CONTROL_HEADER]: control.command, "content-type": "application/json" },
        })),
      });
      const offsets = new Map<number, string>();
      for (const r of sent) offsets.set(r.partition, r.baseOffset ?? "");
      published.push({ topic, offsets });
    }
    return published;
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** The default request id of a command: model, version and time, within the record's 128 characters. */
export function defaultRequestId(verb: "repin" | "reset", modelId: string, modelVersion: string, requestedAt: number): string {
  return `${verb}-${modelId}@${modelVersion}-${new Date(requestedAt).toISOString()}`.slice(0, 128);
}
