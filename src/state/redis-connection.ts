// ioredis connection options from the config: ACL user and password (secret read at creation time), TLS
// with the configured CA/client certificate. A rediss:// URL turns TLS on by itself.
import type { RedisOptions } from "ioredis";
import type { ResolvedConfig } from "../config/load.ts";
import { readSecret, tlsOptions, type Env } from "../config/secrets.ts";

export function redisConnectionOptions(config: ResolvedConfig, env: Env = process.env): RedisOptions {
  const { username, password, tls } = config.redis;
  return {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password: readSecret(password, "redis.password", env) }),
    ...(tls === undefined ? {} : { tls: tlsOptions(tls, "redis.tls", env) }),
  };
}
