/** Malformed or unsupported serialised sketch. */
export class SketchDecodeError extends Error {
  override readonly name = "SketchDecodeError";
  constructor(
    message: string,
    readonly context: { kind: string; version?: number; byteLength: number },
  ) {
    super(message);
  }
}
