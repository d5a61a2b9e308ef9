// Control records: operator commands that change a partition's engine state (`drift-detector baseline
// repin`, `drift-detector baseline reset`). They travel on the predictions topic itself, one per partition, marked by the Kafka header
// `drift-detector-control`, so the replica that owns the partition applies them in offset order under the
// same offset fence as events: exactly once, atomically with the state they change, never racing the
// running service, and identically in a rebuild from the retained history.
import { z } from "zod";
import { modelIdSchema } from "./model-id.ts";

/** Header whose presence marks a control record (value: the command). */
export const CONTROL_HEADER = "drift-detector-control";

export const controlRecordSchema = z.object({
  type: z.literal("control"),
  command: z.enum(["baseline.repin", "baseline.reset"]),
  /** the operator's request: the same in every partition it was written to */
  requestId: z.string().min(1).max(128),
  modelId: modelIdSchema,
  modelVersion: z.string().min(1).max(64),
  /** wall clock of the request, epoch millis */
  requestedAt: z.number().int().min(-4503599627370496).max(4503599627370496),
});

export type ControlRecord = z.infer<typeof controlRecordSchema>;

export type ControlDecodeResult = { ok: true; control: ControlRecord } | { ok: false; message: string };

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function decodeControlRecord(value: Uint8Array | null): ControlDecodeResult {
  if (value === null || value.byteLength === 0) return { ok: false, message: "control record without a value" };
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(value));
  } catch (err) {
    return { ok: false, message: `control record is not UTF-8 JSON: ${(err as Error).message}` };
  }
  const parsed = controlRecordSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `invalid control record at ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, control: parsed.data };
}

export function encodeControlRecord(control: ControlRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(control));
}
