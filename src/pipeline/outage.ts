// Which failures are outages (pause, back off, retry) and which are bugs or corrupt data (fail loudly).
import { SchemaRegistryUnavailableError } from "../kafka/schema-cache.ts";
import { StateStoreUnavailableError } from "../state/errors.ts";

export type OutageKind = "redis" | "kafka" | "registry";

export function outageOperation(error: unknown): OutageKind | undefined {
  if (error instanceof StateStoreUnavailableError) return "redis";
  if (error instanceof SchemaRegistryUnavailableError) return "registry";
  // kafkajs errors (KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, …):
  // the client already retried; the partition waits and tries again.
  if (error instanceof Error && error.name.startsWith("KafkaJS")) return "kafka";
  return undefined;
}

export function isOutage(error: unknown): boolean {
  return outageOperation(error) !== undefined;
}
