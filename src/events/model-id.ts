// The model id rule of the contracts (schemas/*.avsc) as a zod validator, in a module of its own so that
// control records (control-record.ts) validate it without building every event schema (schemas.ts).
import { z } from "zod";

export const modelIdSchema = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/u, "must match ^[A-Za-z0-9._-]{1,64}$");
