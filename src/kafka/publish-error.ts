import { DetectorError } from "../errors/detector-error.ts";

/** An operator command could not publish its output (encoding, broker, topic missing); nothing was sent. */
export class PublishError extends DetectorError<{ id: string; topic: string }> {
  constructor(message: string, context: { id: string; topic: string }, options?: { cause?: unknown }) {
    super(message, context, options);
  }
}
