// Whether Redis, Kafka and the schema registry answer, as the pipeline sees it: an operation that fails
// with an outage marks its dependency down (with the cause: auth, timeout, connection, other), the next
// success marks it up again. While one is down the replica is not ready and /readyz names the cause;
// transitions are logged once (each retry is logged by the retry loop, once per backoff step), and
// drift_dependency_up / drift_dependency_errors_total count them.
import type { Logger } from "../logging/logger.ts";
import type { DependencyName, DetectorMetrics } from "../metrics/detector-metrics.ts";

export type DependencyErrorReason = "auth" | "timeout" | "connection" | "other";

const AUTH =
  /WRONGPASS|NOAUTH|invalid password|invalid username|authentication failed|SASL|AUTHORIZATION_FAILED|not authorized|ILLEGAL_SASL_STATE/i;
const TIMEOUT = /timed? ?out|timeout/i;
const CONNECTION =
  /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EPIPE|Connection is closed|connection (?:error|closed|lost)|max retries per request|socket/i;

/** Every message in the error's cause chain, outermost first. */
function messages(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(" <- ");
}

/** Auth first: a wrong password often shows as a closed connection too. */
export function classifyDependencyError(error: unknown): DependencyErrorReason {
  const text = messages(error);
  if (AUTH.test(text)) return "auth";
  if (TIMEOUT.test(text)) return "timeout";
  if (CONNECTION.test(text)) return "connection";
  return "other";
}

interface Down {
  sinceMs: number;
  operation: string;
  reason: DependencyErrorReason;
  message: string;
  failures: number;
}

export class DependencyHealth {
  private readonly down = new Map<DependencyName, Down>();

  constructor(
    private readonly metrics: DetectorMetrics,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    for (const d of ["redis", "kafka", "registry"] as const) metrics.setDependencyUp(d, true);
  }

  failed(dependency: DependencyName, operation: string, error: unknown): void {
    const reason = classifyDependencyError(error);
    const message = messages(error).slice(0, 500);
    this.metrics.onDependencyError(dependency, reason);
    const current = this.down.get(dependency);
    if (current !== undefined) {
      current.failures++;
      current.operation = operation;
      current.message = message;
      if (current.reason !== reason) {
        this.log.error(
          { dependency, operation, reason, previous: current.reason, error: message },
          "dependency still unavailable, for another reason",
        );
        current.reason = reason;
      }
      return;
    }
    this.down.set(dependency, { sinceMs: this.now(), operation, reason, message, failures: 1 });
    this.metrics.setDependencyUp(dependency, false);
    this.log.error(
      { dependency, operation, reason, error: message },
      `${dependency} unavailable (${reason}): pausing and retrying; not ready until it answers`,
    );
  }

  succeeded(dependency: DependencyName): void {
    const current = this.down.get(dependency);
    if (current === undefined) return;
    this.down.delete(dependency);
    this.metrics.setDependencyUp(dependency, true);
    this.log.info({ dependency, downMs: this.now() - current.sinceMs, failures: current.failures }, `${dependency} answers again`);
  }

  isDown(dependency: DependencyName): boolean {
    return this.down.has(dependency);
  }

  /** for /readyz: every dependency down, with its cause; undefined when all answer */
  downReason(): string | undefined {
    if (this.down.size === 0) return undefined;
    const now = this.now();
    return [...this.down]
      .map(
        ([d, s]) =>
          `${d} unavailable for ${Math.round((now - s.sinceMs) / 1000)} s (${s.reason}, ${s.failures} failures, last in ${s.operation}: ${s.message})`,
      )
      .join("; ");
  }
}
