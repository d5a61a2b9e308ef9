// The baseline resets requested in Redis (`baseline reset`, detect/baseline-reset.ts), as the runtime
// reads them before each batch; `lookup` is the engine's baselineResetGeneration, so a version created
// later starts at the generation already requested and is not reset by it.
import type { StateStore } from "../state/port.ts";
import { retryWithBackoff, type RetryControl } from "./backoff.ts";

export class BaselineResetGenerations {
  private generations = new Map<string, number>();

  constructor(private readonly store: Pick<StateStore, "baselineResets">) {}

  readonly lookup = (modelId: string, modelVersion: string): number => this.generations.get(`${modelId}\u0000${modelVersion}`) ?? 0;

  async refresh(control: RetryControl): Promise<void> {
    const read = this.store.baselineResets?.bind(this.store);
    if (read === undefined) return;
    this.generations = await retryWithBackoff("baselineResets", read, control);
  }
}
