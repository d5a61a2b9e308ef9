// The error of stored engine state that cannot be read (engine-state-codec.ts, outcome-state-codec.ts).

export class EngineStateDecodeError extends Error {
  override readonly name = "EngineStateDecodeError";
  constructor(
    message: string,
    readonly context: { part: "hot" | "cold" | "coldPart" | "meta" | "outcomes"; modelId?: string; partKey?: string },
  ) {
    super(message);
  }
}
