// Control records (src/events/control-record.ts): what `baseline repin` writes and the service accepts.
import { describe, expect, it } from "vitest";
import { decodeControlRecord, encodeControlRecord, type ControlRecord } from "../../../src/events/control-record.ts";
import { controlResult } from "../../../src/pipeline/partition-processor.ts";

const repin: ControlRecord = {
  type: "control",
  command: "baseline.repin",
  requestId: "r1",
  modelId: "m",
  modelVersion: "v1",
  requestedAt: 5,
};

describe("control records", () => {
  it("round-trip through their JSON encoding", () => {
    expect(decodeControlRecord(encodeControlRecord(repin))).toEqual({ ok: true, control: repin });
  });

  it("a marked record that is not a valid control record is rejected as invalid_control, naming the field", () => {
    const bad = new TextEncoder().encode(JSON.stringify({ ...repin, modelId: "has spaces" }));
    expect(controlResult(bad)).toMatchObject({ ok: false, reason: "invalid_control", message: expect.stringContaining("modelId") });
    expect(controlResult(new TextEncoder().encode("{oops"))).toMatchObject({ ok: false, reason: "invalid_control" });
    expect(controlResult(null)).toMatchObject({ ok: false, reason: "invalid_control" });
  });
});
