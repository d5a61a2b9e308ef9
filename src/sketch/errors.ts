import { DetectorError } from "../errors/detector-error.ts";
/** Malformed or unsupported serialised sketch. */
export class SketchDecodeError extends DetectorError<{ kind: string; version?: number; byteLength: number }> {
  constructor(message: string, context: { kind: string; version?: number; byteLength: number }) {
    super(message, context);
  }
}
