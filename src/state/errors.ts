// Failures of a StateStore adapter other than the fence (StaleStateError lives in port.ts).
// The pipeline pauses and backs off on StateStoreUnavailableError; StateStoreCorruptError needs a human.

import type { PartitionRef } from "./port.ts";
import { DetectorError } from "../errors/detector-error.ts";

export interface StateStoreErrorContext {
  /** StateStore method that failed, e.g. "commitPartition" */
  operation: string;
  partition?: PartitionRef;
  modelId?: string;
  /** the Redis key involved, when one is known */
  key?: string;
}

/** The backend could not be reached or did not answer (connection lost, timeout, store closed): retry later. */
export class StateStoreUnavailableError extends DetectorError<StateStoreErrorContext> {
  constructor(message: string, context: StateStoreErrorContext, options?: { cause?: unknown }) {
    super(message, context, { ...options, retriable: true, dependency: "redis" });
  }
}

/** The backend answered, but what it holds is not what this store wrote (wrong key type, undecodable entry). */
export class StateStoreCorruptError extends DetectorError<StateStoreErrorContext> {
  constructor(message: string, context: StateStoreErrorContext, options?: { cause?: unknown }) {
    super(message, context, options);
  }
}

/**
 * The backend is not what the configuration says (a Redis Cluster node without redis.cluster, or the reverse):
 * nothing succeeds until the configuration changes, so it is not retried.
 */
export class StateStoreMisconfiguredError extends DetectorError<StateStoreErrorContext> {
  constructor(message: string, context: StateStoreErrorContext, options?: { cause?: unknown }) {
    super(message, context, { ...options, dependency: "redis" });
  }
}
