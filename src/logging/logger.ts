// pino setup for the service: JSON lines on stdout, child loggers carry context (partition, model).
// Secrets never reach the log: SASL/password fields are redacted by path, and URLs are logged only
// through redactUrl, which masks the password part.
import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger } from "pino";

const REDACT_PATHS = [
  "password",
  "*.password",
  "*.*.password",
  "sasl",
  "*.sasl",
  "*.*.sasl",
  "ssl.key",
  "*.ssl.key",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
];

export interface LoggerSettings {
  level?: string;
  /** where the JSON lines go (tests pass a stream); default stdout */
  destination?: NodeJS.WritableStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? "info",
    base: { service: "drift-detector" },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return settings.destination === undefined ? pino(options) : pino(options, settings.destination);
}

/** A URL safe to log: "redis://user:secret@host:6379/0" → "redis://user:***@host:6379/0". */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    // not a URL we can parse: mask anything that looks like credentials before an "@"
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}
