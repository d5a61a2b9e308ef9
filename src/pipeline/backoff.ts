// Retrying an outage (Redis, broker, schema registry) with capped exponential backoff while staying a
// live member of the consumer group: each wait heartbeats, and the loop gives up as soon as the consumer
// stops or the batch goes stale (a rebalance took the partition away) — the caller then commits nothing.
import { DetectorError } from "../errors/detector-error.ts";

/** Thrown when a retry loop is abandoned because the consumer stopped or the batch became stale. */
export class ProcessingAbortedError extends DetectorError<{ operation: string; attempts: number }> {
  constructor(message: string, context: { operation: string; attempts: number }, options?: { cause?: unknown }) {
    super(message, context, options);
  }
}

export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  /** 0..1: share of each delay that is randomised, so replicas do not retry in lockstep */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 10_000, jitter: 0.2 };

export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (1 - policy.jitter + policy.jitter * random()));
}

export interface RetryControl {
  /** false once the consumer is stopping or the batch is stale */
  shouldContinue(): boolean;
  /** keeps the group membership alive during long waits (kafkajs heartbeat; throws on rebalance) */
  heartbeat(): Promise<void>;
  /** error is retryable (an outage); anything else is rethrown at once */
  isRetryable(error: unknown): boolean;
  onRetry(operation: string, attempt: number, delayMs: number, error: unknown): void;
  /** the operation succeeded, after `attempts` tries (1: at once); past 1, the dependency answers again */
  onRecovered?(operation: string, attempts: number): void;
  policy?: BackoffPolicy;
}

const HEARTBEAT_SLICE_MS = 1_000;

async function waitWithHeartbeats(ms: number, control: RetryControl): Promise<void> {
  let left = ms;
  while (left > 0) {
    if (!control.shouldContinue()) return;
    const slice = Math.min(left, HEARTBEAT_SLICE_MS);
    await new Promise((resolve) => setTimeout(resolve, slice));
    left -= slice;
    await control.heartbeat();
  }
}

/** Runs `attempt` until it succeeds, it fails with a non-retryable error, or the control says stop. */
export async function retryWithBackoff<T>(operation: string, attempt: () => Promise<T>, control: RetryControl): Promise<T> {
  const policy = control.policy ?? DEFAULT_BACKOFF;
  for (let n = 1; ; n++) {
    try {
      const value = await attempt();
      control.onRecovered?.(operation, n);
      return value;
    } catch (error) {
      if (!control.isRetryable(error)) throw error;
      if (!control.shouldContinue()) {
        throw new ProcessingAbortedError(
          `${operation}: gave up after ${n} attempts (consumer stopping or partition revoked)`,
          { operation, attempts: n },
          { cause: error },
        );
      }
      const delay = backoffDelayMs(n, policy);
      control.onRetry(operation, n, delay, error);
      await waitWithHeartbeats(delay, control);
      if (!control.shouldContinue()) {
        throw new ProcessingAbortedError(
          `${operation}: gave up after ${n} attempts (consumer stopping or partition revoked)`,
          { operation, attempts: n },
          { cause: error },
        );
      }
    }
  }
}
