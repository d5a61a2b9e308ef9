// Which failures are outages (pause, back off, retry) and which are bugs or corrupt data (fail loudly):
// the detector's own errors say so themselves (DetectorError: `retriable` and the dependency that failed).
import { DetectorError, type Dependency } from "../errors/detector-error.ts";

export type OutageKind = Dependency;

export function outageOperation(error: unknown): OutageKind | undefined {
  if (error instanceof DetectorError) return error.retriable ? error.dependency : undefined;
  // kafkajs errors (KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, …):
  // the client already retried; the partition waits and tries again.
  if (error instanceof Error && error.name.startsWith("KafkaJS")) return "kafka";
  return undefined;
}

export function isOutage(error: unknown): boolean {
  return outageOperation(error) !== undefined;
}
