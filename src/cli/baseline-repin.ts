// `drift-detector baseline repin`: accept the new normal of a model version. Writes one control record
// (events/control-record.ts) to every partition of the predictions topic — a model's events may reach any
// partition, and each partition's state is its own — so the replica that owns a partition applies it in
// offset order under the partition's offset fence, atomically with the state it changes, and a rebuild
// from the retained history applies it again at the same place. Each partition holding the model version
// drops its reference, captures a new one from the next windows and emits a BaselineEvent.
import kafkajs from "kafkajs";
import type { ResolvedConfig } from "../config/load.ts";
import { CONTROL_HEADER, encodeControlRecord, type ControlRecord } from "../events/control-record.ts";
import { kafkaConnectionOptions } from "../kafka/clients.ts";

export interface RepinRequest {
  modelId: string;
  modelVersion: string;
  requestId: string;
  requestedAt: number;
}

export interface RepinResult {
  topic: string;
  /** partition → offset of its control record */
  offsets: Map<number, string>;
}

export async function requestRepin(config: ResolvedConfig, request: RepinRequest): Promise<RepinResult> {
  const topic = config.kafka.topics.predictions;
  const kafka = new kafkajs.Kafka({
    clientId: `${config.kafka.clientId}-repin`,
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
    const control: ControlRecord = { type: "control", command: "baseline.repin", ...request };
    const value = Buffer.from(encodeControlRecord(control));
    const sent = await producer.send({
      topic,
      acks: -1,
      messages: partitions.map((partition) => ({
        partition,
        key: request.modelId,
        value,
        headers: { [CONTROL_HEADER]: control.command, "content-type": "application/json" },
      })),
    });
    const offsets = new Map<number, string>();
    for (const r of sent) offsets.set(r.partition, r.baseOffset ?? "");
    return { topic, offsets };
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
