/** An operator command could not publish its output (encoding, broker, topic missing); nothing was sent. */
export class PublishError extends Error {
  override readonly name = "PublishError";
  constructor(
    message: string,
    readonly context: { id: string; topic: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
