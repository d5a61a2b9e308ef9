// Reads the secrets and PEM files the security settings refer to (shell side: environment and files),
// when a client is created. Errors name the variable or file and the config key, never a secret's value.
import { readFileSync } from "node:fs";
import type { SecretRef, TlsSettings } from "./security.ts";
import { DetectorError } from "../errors/detector-error.ts";

export class SecretError extends DetectorError<{ key: string; env?: string; file?: string }> {
  constructor(message: string, context: { key: string; env?: string; file?: string }) {
    super(message, context);
  }
}

export type Env = Record<string, string | undefined>;

export function readSecret(ref: SecretRef, key: string, env: Env = process.env): string {
  if ("env" in ref) {
    const value = env[ref.env];
    if (value === undefined || value === "")
      throw new SecretError(`${key}: environment variable ${ref.env} is not set`, { key, env: ref.env });
    return value;
  }
  try {
    // a trailing newline (echo pw > file, Kubernetes secrets written by editors) is not part of the secret
    return readFileSync(ref.file, "utf8").replace(/\r?\n$/, "");
  } catch (err) {
    throw new SecretError(`${key}: cannot read secret file ${ref.file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`, {
      key,
      file: ref.file,
    });
  }
}

function readPem(path: string, key: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new SecretError(`${key}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`, { key, file: path });
  }
}

/** node:tls options (ca, cert, key, passphrase) from TLS settings. */
export interface TlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  passphrase?: string;
  servername?: string;
  rejectUnauthorized: boolean;
}

export function tlsOptions(tls: TlsSettings, key: string, env: Env = process.env): TlsOptions {
  return {
    ...(tls.caFile === undefined ? {} : { ca: [readPem(tls.caFile, `${key}.caFile`)] }),
    ...(tls.certFile === undefined ? {} : { cert: readPem(tls.certFile, `${key}.certFile`) }),
    ...(tls.keyFile === undefined ? {} : { key: readPem(tls.keyFile, `${key}.keyFile`) }),
    ...(tls.keyPassword === undefined ? {} : { passphrase: readSecret(tls.keyPassword, `${key}.keyPassword`, env) }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}
