// kafkajs logs through the service's pino logger (one JSON format on stdout), as child `component: kafkajs`.
import { logLevel, type logCreator } from "kafkajs";
import type { Logger } from "./logger.ts";

export function kafkajsLogCreator(log: Logger): logCreator {
  const child = log.child({ component: "kafkajs" });
  return () =>
    ({ level, log: entry }) => {
      const { message, ...rest } = entry;
      // kafkajs puts broker/clientId/error fields next to the message; "timestamp" would clash with pino's
      delete (rest as Record<string, unknown>).timestamp;
      if (level === logLevel.ERROR) child.error(rest, message);
      else if (level === logLevel.WARN) child.warn(rest, message);
      else if (level === logLevel.INFO) child.info(rest, message);
      else child.debug(rest, message);
    };
}
