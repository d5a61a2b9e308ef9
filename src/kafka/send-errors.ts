// What a failed produce means for the outbox relay. kafkajs marks every error `retriable` or not; its
// own retrier already gave up on both kinds by the time send() rejects. Two outcomes matter here:
// - the broker rejected the records themselves (too large, invalid): sending them again can never
//   succeed, so the relay degrades them (smaller batches, then a fallback record) instead of retrying;
// - anything else (connection lost, leader moved, timeouts, authorisation): the outbox waits and retries
//   with backoff, and the stuck outbox shows in health, metrics and an alert.

/** Protocol error types that reject the records, not the request: retrying the same bytes cannot help. */
export const RECORD_REJECTED_TYPES: ReadonlySet<string> = new Set(["MESSAGE_TOO_LARGE", "RECORD_LIST_TOO_LARGE", "INVALID_RECORD"]);

export interface SendErrorClass {
  /** the broker rejected these records; resending them unchanged can never succeed */
  recordsRejected: boolean;
  /** kafkajs' own flag (true when absent), after unwrapping retry wrappers */
  retriable: boolean;
  /** bounded label: the protocol error type (e.g. MESSAGE_TOO_LARGE) or the kafkajs error name */
  reason: string;
}

interface KafkaLikeError {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

/** The innermost error of a kafkajs retry wrapper (KafkaJSNumberOfRetriesExceeded keeps it as `cause`). */
function rootError(error: unknown): KafkaLikeError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    if (typeof current !== "object" || current === null) return undefined;
    const e = current as KafkaLikeError;
    if (typeof e.type === "string" || e.cause === undefined || e.cause === current) return e;
    current = e.cause;
  }
  return typeof current === "object" && current !== null ? (current as KafkaLikeError) : undefined;
}

export function classifySendError(error: unknown): SendErrorClass {
  const root = rootError(error);
  const type = typeof root?.type === "string" ? root.type : undefined;
  const name = typeof root?.name === "string" ? root.name : error instanceof Error ? error.name : "unknown";
  return {
    recordsRejected: type !== undefined && RECORD_REJECTED_TYPES.has(type),
    retriable: root?.retriable !== false,
    reason: type ?? name,
  };
}
