// `drift-detector run`: the streaming service. Wires config → logger, Redis state store, metrics server
// and the pipeline (src/pipeline/pipeline.ts), and shuts down cleanly on SIGTERM/SIGINT: the running
// chunk finishes (persist, commit), the consumer leaves the group, Redis/producer/HTTP close, exit 0.
// A consumer crash kafkajs does not restart (e.g. a fetch it cannot decode) shuts down the same way with
// exit code 1, so the process never idles as a zombie. A hard timer exits with 1 if shutting down takes
// longer than SHUTDOWN_TIMEOUT_MS — state stays correct either way (Redis is the source of truth and
// uncommitted work is simply redone).
import type { ResolvedConfig } from "../config/load.ts";
import { createLogger, redactUrl, type Logger } from "../logging/logger.ts";
import { createDetectorMetrics } from "../metrics/detector-metrics.ts";
import { startMetricsServer, type MetricsServer } from "../metrics/server.ts";
import { connectServiceClients } from "../kafka/clients.ts";
import { CO_PARTITIONING_EXIT_CODE, CoPartitioningError } from "../kafka/topic-admin.ts";

/** Exit code when Redis is not what redis.cluster says (as for a topic layout the join cannot use: fix, then restart). */
const MISCONFIGURED_REDIS_EXIT_CODE = 3;
import { startPipeline, type RunningPipeline } from "../pipeline/pipeline.ts";
import { redisConnectionOptions } from "../state/redis-connection.ts";
import { RedisStateStore } from "../state/redis-store.ts";

export const SHUTDOWN_TIMEOUT_MS = 10_000;

export async function runService(config: ResolvedConfig, options: { log?: Logger } = {}): Promise<number> {
  const log = options.log ?? createLogger();
  log.info(
    {
      brokers: config.kafka.brokers,
      groupId: config.kafka.groupId,
      topics: config.kafka.topics,
      redis: redactUrl(config.redis.url),
      keyPrefix: config.redis.keyPrefix,
      cluster: config.redis.cluster,
      ...(config.redis.sentinel === undefined ? {} : { sentinel: config.redis.sentinel }),
      schemaRegistry: redactUrl(config.schemaRegistry.url),
      metricsPort: config.metrics.port,
      outputFormat: config.kafka.outputFormat,
    },
    "starting drift-detector",
  );
  const metrics = createDetectorMetrics({
    maxModels: config.limits.maxModels,
    maxVersionsPerModel: config.limits.maxVersionsPerModel,
    // every feature plus prediction, predictedClass, confidence and latency
    maxSignalsPerModel: config.limits.maxFeaturesPerModel + 4,
  });
  let redisDown = false;
  const store = new RedisStateStore(config.redis.url, {
    keyPrefix: config.redis.keyPrefix,
    cluster: config.redis.cluster,
    ...(config.redis.sentinel === undefined ? {} : { sentinel: config.redis.sentinel }),
    redisOptions: redisConnectionOptions(config),
    onConnectionError: (err) => {
      if (!redisDown) log.warn({ err: { message: err.message } }, "redis connection error");
      redisDown = true;
    },
    // a Redis Cluster node without redis.cluster (or the reverse): no retry can succeed, the operator must fix it
    onMisconfigured: (err) => {
      log.error({ err }, `cannot run: ${err.message}`);
      void shutdown("redis misconfigured", MISCONFIGURED_REDIS_EXIT_CODE);
    },
  });

  let pipeline: RunningPipeline | undefined;
  let server: MetricsServer | undefined;
  let shuttingDown = false;
  let resolveExit: (code: number) => void = () => {};
  const exit = new Promise<number>((resolve) => (resolveExit = resolve));

  // a fatal consumer crash shuts down like a signal, but exits 1 so the orchestrator restarts the service
  const shutdown = async (signal: string, exitCode = 0) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, "shutting down");
    const hard = setTimeout(() => {
      log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, "shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    hard.unref();
    let code = exitCode;
    for (const [what, close] of [
      ["pipeline", () => pipeline?.stop()],
      ["state store", () => store.close()],
      ["metrics server", () => server?.close()],
    ] as const) {
      try {
        await close();
      } catch (err) {
        code = 1;
        log.error({ err, what }, "error while shutting down");
      }
    }
    clearTimeout(hard);
    log.info({ code }, "stopped");
    // Everything is closed; if a stray handle (a library timer) still keeps the event loop alive, do not hang.
    setTimeout(() => process.exit(code), 1_000).unref();
    resolveExit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);

  try {
    server = await startMetricsServer({
      port: config.metrics.port,
      registry: metrics.registry,
      isReady: () => pipeline?.isReady() ?? false,
      notReadyReason: () => pipeline?.notReadyReason() ?? "starting",
      isHealthy: () => pipeline?.isHealthy() ?? true,
      degradedReason: () => pipeline?.degradedReason(),
    });
    log.info({ port: server.port }, "metrics server listening");
    // Kafka client, topics, output schemas, producer and consumer; then the consumer group and data path
    const clients = await connectServiceClients(config, log);
    pipeline = await startPipeline(config, {
      store,
      metrics,
      log,
      clients,
      probeStateStore: () => store.ping(),
      onFatalCrash: () => void shutdown("consumer crash", 1),
    });
  } catch (err) {
    // the reason in the message itself: the line an operator reads in `kubectl logs` says what to fix
    log.error({ err }, `cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("SIGINT", onSignal);
    await pipeline?.stop().catch(() => {});
    await store.close().catch(() => {});
    await server?.close().catch(() => {});
    // a topic layout the join cannot work with: restarting does not help, the operator must fix the topics
    return err instanceof CoPartitioningError ? CO_PARTITIONING_EXIT_CODE : 1;
  }
  if (shuttingDown) await pipeline.stop();
  void pipeline.ready.then(() => log.info("ready"));
  const code = await exit;
  process.removeListener("SIGTERM", onSignal);
  process.removeListener("SIGINT", onSignal);
  return code;
}
