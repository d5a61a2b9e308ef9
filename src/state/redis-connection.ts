// ioredis connection options from the config: ACL user and password (secret read at creation time), TLS
// with the configured CA/client certificate, the Sentinels' password. A rediss:// URL turns TLS on by itself.
import type { RedisOptions } from "ioredis";
import type { ResolvedConfig } from "../config/load.ts";
import { readSecret, tlsOptions, type Env } from "../config/secrets.ts";

export function redisConnectionOptions(config: ResolvedConfig, env: Env = process.env): RedisOptions {
  const { username, password, tls, sentinel } = config.redis;
  const tlsConnection = tls === undefined ? undefined : tlsOptions(tls, "redis.tls", env);
  return {
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password: readSecret(password, "redis.password", env) }),
    ...(tlsConnection === undefined ? {} : { tls: tlsConnection }),
    ...(sentinel?.password === undefined ? {} : { sentinelPassword: readSecret(sentinel.password, "redis.sentinel.password", env) }),
    // the Sentinels over the same TLS as the master
    ...(sentinel === undefined || tlsConnection === undefined ? {} : { enableTLSForSentinelMode: true, sentinelTLS: tlsConnection }),
  };
}
