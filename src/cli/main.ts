// drift-detector CLI: run | replay | help.
import { ConfigError } from "../config/load.ts";
import { loadConfig } from "./config-file.ts";
import { parseArgs, stringOption, UsageError } from "./args.ts";
import { formatReplaySummary, ReplayInputError, runReplay } from "./replay.ts";

const USAGE = `usage: drift-detector <command> [options]

commands:
  run     [--config <file>]                          consume predictions from Kafka (the service)
  replay  --input <file|-> [--config <file>] [--strict]
                                                     run the engine over PredictionEvent JSON lines;
                                                     drift events and retrain requests go to stdout
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
      const summary = await runReplay({ input, config, strict: args.options.get("strict") === true, stdin: process.stdin, stdout: process.stdout });
      process.stderr.write(formatReplaySummary(summary) + "\n");
      return 0;
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
    else if (err instanceof ConfigError || err instanceof ReplayInputError) process.stderr.write(`drift-detector: ${err.message}\n`);
    else process.stderr.write(`drift-detector: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 2;
  },
);
