import { describe, expect, it } from "vitest";
import { manualRetrainRequest } from "../../../src/detect/manual-retrain.ts";
import { retrainRequestSchema } from "../../../src/events/schemas.ts";

const input = {
  modelId: "fraud-scorer",
  modelVersion: "2026-11-01",
  note: "new labelled data from November",
  severity: "warning" as const,
  requestedAt: 1_764_000_000_000,
  cooldownMs: 43_200_000,
  incidentId: null,
  lastWindow: "fraud-scorer@2026-11-01/p0/w9",
};

describe("manualRetrainRequest", () => {
  it("is a valid RetrainRequest with reason manual, the operator's note and a cooldown from the request time", () => {
    const r = manualRetrainRequest(input);
    expect(retrainRequestSchema.parse(r)).toEqual(r);
    expect(r).toMatchObject({
      reason: "manual",
      severity: "warning",
      note: "new labelled data from November",
      cooldownUntil: 1_764_000_000_000 + 43_200_000,
      evidence: { signals: [], windows: ["fraud-scorer@2026-11-01/p0/w9"], statistics: {} },
      incidentId: null,
    });
  });

  it("the same invocation gives the same id; another text or time another id", () => {
    const id = manualRetrainRequest(input).requestId;
    expect(manualRetrainRequest(input).requestId).toBe(id);
    expect(manualRetrainRequest({ ...input, note: "other" }).requestId).not.toBe(id);
    expect(manualRetrainRequest({ ...input, requestedAt: input.requestedAt + 1 }).requestId).not.toBe(id);
  });
});
