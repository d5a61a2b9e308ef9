// drift-detector CLI: run | replay | baseline import | demo | help.
import { ConfigError } from "../config/load.ts";
import { loadConfig } from "./config-file.ts";
import { parseArgs, stringOption, UsageError } from "./args.ts";
import { InputFileError } from "./event-lines.ts";
import { formatReplaySummary, referencesFromFile, runReplay } from "./replay.ts";

const USAGE = `usage: drift-detector <command> [options]

commands:
  run     [--config <file>]                          consume predictions from Kafka (the service)
  replay  --input <file|-> [--config <file>] [--strict] [--reference <file>]
                                                     run the engine over PredictionEvent JSON lines;
                                                     drift events and retrain requests go to stdout;
                                                     --reference: events to use as imported references
  baseline import --input <file|-> [--model <id>] [--version <v>] [--config <file>]
                                                     build reference baselines from events (training or
                                                     validation data) and store them in Redis
  demo    generate|produce|watch [options]           the demo: write, publish or watch a drifting stream
                                                     (drift-detector demo help)
  help                                               this text

environment: KAFKA_BROKERS, REDIS_URL, SCHEMA_REGISTRY_URL, METRICS_PORT override the config file;
DRIFT_DETECTOR__<key>__<key>=<json> overrides any config key.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "replay": {
      const args = parseArgs(rest, ["strict"]);
      const input = stringOption(args, "input");
      if (input === undefined) throw new UsageError("replay needs --input <file|->");
      const config = loadConfig(stringOption(args, "config"));
      const referenceFile = stringOption(args, "reference");
      const references = referenceFile === undefined ? undefined : await referencesFromFile(referenceFile, config, process.stdin);
      const summary = await runReplay({ input, config, strict: args.options.get("strict") === true, references, stdin: process.stdin, stdout: process.stdout });
      process.stderr.write(formatReplaySummary(summary) + "\n");
      return 0;
    }
    case "baseline": {
      const [sub, ...more] = rest;
      if (sub !== "import") throw new UsageError(`unknown baseline command "${sub ?? ""}" (expected: baseline import)`);
      const args = parseArgs(more);
      const input = stringOption(args, "input");
      if (input === undefined) throw new UsageError("baseline import needs --input <file|->");
      const config = loadConfig(stringOption(args, "config"));
      const { RedisStateStore } = await import("../state/redis-store.ts");
      const { formatBaselineImportSummary, importBaselines } = await import("./baseline-import.ts");
      const store = new RedisStateStore(config.redis.url, { keyPrefix: config.redis.keyPrefix });
      try {
        const summary = await importBaselines({ input, config, store, modelId: stringOption(args, "model"), modelVersion: stringOption(args, "version"), stdin: process.stdin });
        process.stderr.write(formatBaselineImportSummary(summary) + "\n");
        return summary.baselines.length > 0 ? 0 : 1;
      } finally {
        await store.close();
      }
    }
    case "run": {
      const args = parseArgs(rest);
      const { runService } = await import("./run.ts");
      return runService(loadConfig(stringOption(args, "config")));
    }
    case "demo": {
      const { runDemo } = await import("./demo.ts");
      return runDemo(rest);
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE + "\n");
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`drift-detector: ${err.message}\n\n${USAGE}\n`);
    else if (err instanceof ConfigError || err instanceof InputFileError) process.stderr.write(`drift-detector: ${err.message}\n`);
    else process.stderr.write(`drift-detector: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
