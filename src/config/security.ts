// Connection security settings: TLS, Kafka SASL, Redis ACL user/password, schema registry basic auth.
// Secrets are never values in the config: a secret is a reference, `{env: NAME}` or `{file: path}`, read
// only when a client is created (src/config/secrets.ts), so the config — as parsed, resolved or logged —
// holds names and paths, never passwords.
import { z } from "zod";

export const secretRefSchema = z.union([
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name") }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

/** TLS client settings; present = TLS on. Files are PEM. certFile + keyFile = mutual TLS. */
export const tlsSchema = z
  .object({
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    keyPassword: secretRefSchema.optional(),
    /** the name checked against the server certificate when it differs from the host connected to */
    servername: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().default(true),
  })
  .strict()
  .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: "certFile and keyFile go together (mutual TLS)" });
export type TlsSettings = z.infer<typeof tlsSchema>;

export const saslSchema = z
  .object({
    mechanism: z.enum(["scram-sha-512", "scram-sha-256", "plain"]),
    username: z.string().min(1),
    password: secretRefSchema,
  })
  .strict();
export type SaslSettings = z.infer<typeof saslSchema>;

/** Redis: an ACL user and its password (AUTH user password), TLS (also implied by a rediss:// URL). */
export const redisSecurityShape = {
  username: z.string().min(1).optional(),
  password: secretRefSchema.optional(),
  tls: tlsSchema.optional(),
};

/** Schema registry HTTP basic auth (Confluent's USER_INFO). */
export const registrySecurityShape = {
  username: z.string().min(1).optional(),
  password: secretRefSchema.optional(),
};
