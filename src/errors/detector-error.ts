// The one base of the detector's errors (after kafkajs' KafkaJSError): every error says whether retrying
// can help (`retriable`, which the outage handling in src/pipeline/outage.ts reads instead of a chain of
// instanceof checks), which dependency failed when it is an outage, and carries its structured context
// (topic, partition, offset, model, key, …) for logs. Pure: core and shell both throw these.

/** An external system whose unavailability is an outage (pause, back off, retry), not a bug. */
export type Dependency = "redis" | "kafka" | "registry";

export interface DetectorErrorOptions {
  /** retrying the same operation later can succeed (default false: the same input fails the same way) */
  retriable?: boolean;
  /** the system that failed, for a retriable outage */
  dependency?: Dependency;
  cause?: unknown;
}

export class DetectorError<Context extends object = Record<string, unknown>> extends Error {
  readonly retriable: boolean;
  readonly dependency: Dependency | undefined;

  constructor(
    message: string,
    readonly context: Context,
    options: DetectorErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.dependency = options.dependency;
  }
}
