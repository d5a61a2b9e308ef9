// The error of stored engine state that cannot be read (engine-state-codec.ts, outcome-state-codec.ts).
import { DetectorError } from "../errors/detector-error.ts";

type StatePart = "hot" | "cold" | "coldPart" | "meta" | "outcomes";

export class EngineStateDecodeError extends DetectorError<{ part: StatePart; modelId?: string; partKey?: string }> {
  constructor(message: string, context: { part: StatePart; modelId?: string; partKey?: string }) {
    super(message, context);
  }
}
