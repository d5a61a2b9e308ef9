import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, resolveConfig } from "../../../src/config/load.ts";
import { readSecret, SecretError } from "../../../src/config/secrets.ts";
import { kafkaConnectionOptions } from "../../../src/kafka/clients.ts";
import { registryUrlWithCredentials } from "../../../src/kafka/schema-cache.ts";
import { redactUrl } from "../../../src/logging/logger.ts";
import { redisConnectionOptions } from "../../../src/state/redis-connection.ts";

const dir = mkdtempSync(join(tmpdir(), "security-test-"));
const pem = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const SECRET = "s3cr3t-pa$$:w0rd/@";

const secured = () =>
  resolveConfig({
    kafka: {
      brokers: ["b:9093"],
      ssl: { caFile: pem("ca.pem", "CA PEM"), certFile: pem("client.pem", "CERT PEM"), keyFile: pem("client.key", "KEY PEM") },
      sasl: { mechanism: "scram-sha-512", username: "detector", password: { env: "KAFKA_PASSWORD" } },
    },
    redis: {
      url: "rediss://redis:6380",
      username: "detector",
      password: { file: pem("redis-password", `${SECRET}\n`) },
      tls: { caFile: join(dir, "ca.pem") },
    },
    schemaRegistry: { url: "https://registry:8081", username: "sr-user", password: { env: "SR_PASSWORD" } },
  });

describe("connection security config", () => {
  it("Kafka gets TLS (CA, client certificate and key: mutual TLS) and SCRAM-SHA-512 with the password from the environment", () => {
    expect(kafkaConnectionOptions(secured(), { KAFKA_PASSWORD: SECRET })).toEqual({
      brokers: ["b:9093"],
      ssl: { ca: ["CA PEM"], cert: "CERT PEM", key: "KEY PEM", rejectUnauthorized: true },
      sasl: { mechanism: "scram-sha-512", username: "detector", password: SECRET },
    });
  });

  it("Redis gets the ACL user, the password from a file (trailing newline dropped) and the CA", () => {
    expect(redisConnectionOptions(secured(), {})).toEqual({
      username: "detector",
      password: SECRET,
      tls: { ca: ["CA PEM"], rejectUnauthorized: true },
    });
  });

  it("the schema registry URL carries the basic-auth credentials only when a client is built; redactUrl masks the password", () => {
    const url = registryUrlWithCredentials(secured(), { SR_PASSWORD: SECRET }) as string;
    const parsed = new URL(url);
    expect([decodeURIComponent(parsed.username), decodeURIComponent(parsed.password)]).toEqual(["sr-user", SECRET]);
    expect(redactUrl(url)).toBe("https://sr-user:***@registry:8081/");
  });

  it("the resolved config — what is logged — holds variable names and file paths, never a secret", () => {
    const text = JSON.stringify(secured());
    expect(text).not.toContain(SECRET);
    expect(text).toContain('"password":{"env":"KAFKA_PASSWORD"}');
  });

  it("a password written into the config file is refused: secrets come from the environment or files", () => {
    expect(() => resolveConfig({ kafka: { sasl: { mechanism: "scram-sha-512", username: "u", password: SECRET } } })).toThrow(ConfigError);
    const refused = (() => {
      try {
        resolveConfig({ redis: { password: SECRET } });
      } catch (err) {
        return err as Error;
      }
      throw new Error("accepted");
    })();
    expect(refused.message).toMatch(/redis\.password/);
    expect(refused.message).not.toContain(SECRET);
  });

  it("a client certificate without its key is refused (mutual TLS needs both)", () => {
    expect(() => resolveConfig({ kafka: { ssl: { certFile: "c.pem" } } })).toThrow(/certFile and keyFile go together/);
  });

  it("a missing variable or unreadable file is a SecretError naming the key and the variable or file", () => {
    const config = secured();
    expect(() => kafkaConnectionOptions(config, {})).toThrow(SecretError);
    expect(() => kafkaConnectionOptions(config, {})).toThrow("kafka.sasl.password: environment variable KAFKA_PASSWORD is not set");
    expect(() => readSecret({ file: join(dir, "nope") }, "redis.password")).toThrow(
      `redis.password: cannot read secret file ${join(dir, "nope")}: ENOENT`,
    );
  });
});
