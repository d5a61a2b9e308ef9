// The engines' drift and retrain outputs, made by constructors rather than object literals. A literal that
// runs rarely (a replay of the demo stream reports one drift event) gets its allocation boilerplate only
// when it runs again, later in the process, and that widens the recorded types of its fields: the
// processor's per-event loop, compiled against them because it reads every output, was thrown away in the
// next replay. A constructor's stores keep the types.
import type { DriftEvent, RetrainRequest } from "../events/types.ts";

export class DriftOutput {
  readonly kind = "drift";
  constructor(readonly event: DriftEvent) {}
}

export class RetrainOutput {
  readonly kind = "retrain";
  constructor(readonly request: RetrainRequest) {}
}
