// Deterministic output ids: the same input gives the same id, so downstream can deduplicate.
import { createHash } from "node:crypto";

export function deterministicId(...parts: readonly (string | number)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(String(p)).update("\u0000");
  return h.digest("hex").slice(0, 32);
}
