// Deterministic output ids: the same input gives the same id, so downstream can deduplicate; the parts
// include the window's first and last eventId (unique per prediction), so different data gets other ids
// even where window numbers coincide (a new consumer group, a reset state, another stream).
import { createHash } from "node:crypto";

export function deterministicId(...parts: readonly (string | number)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(String(p)).update("\u0000");
  return h.digest("hex").slice(0, 32);
}
