// drift-detector CLI: dispatches argv to the command table (src/cli/commands.ts). `--help` on any command
// or group prints its usage (exit 0); a usage mistake prints what is wrong and that usage (exit 2).
// Only the command table loads up front: each command imports its implementation when it runs, and the
// error classes below are imported only once there is an error to classify (a class whose module was never
// loaded has no instances), so `--help` or a replay loads nothing it does not use.
import { commandUsage, parseCommandArgs, UsageError, type CommandIo } from "./args.ts";
import { commandsInGroup, findCommand, groupUsage, topUsage, unknownCommand } from "./commands.ts";

/** The line written to stderr for a failed command, and its exit code. */
async function failure(err: unknown): Promise<{ message: string; exitCode: number }> {
  if (err instanceof UsageError) return { message: `${err.message}\n\n${err.context.usage ?? topUsage()}`, exitCode: 2 };
  if (err instanceof EvalError) {
    // node --disallow-code-generation-from-strings: avsc compiles its Avro readers and writers as it loads (and
    // the modules imported below load avsc, so this is decided first)
    return {
      message:
        `${err.message}: this command needs Node without --disallow-code-generation-from-strings ` +
        "(the Avro library, avsc, generates code as it loads); replay of JSON lines runs with it",
      exitCode: 2,
    };
  }
  const [{ ConfigError }, { SecretError }, { InputFileError }, { PublishError }, { EngineStateDecodeError }, stateErrors] =
    await Promise.all([
      import("../config/load.ts"),
      import("../config/secrets.ts"),
      import("./event-lines.ts"),
      import("../kafka/publish-error.ts"),
      import("../state/engine-state-codec.ts"),
      import("../state/errors.ts"),
    ]);
  const { DeadLetterRedriveError } = await import("../kafka/dead-letter-redrive.ts");
  if (err instanceof SecretError || err instanceof ConfigError || err instanceof InputFileError)
    return { message: err.message, exitCode: 2 };
  if (
    err instanceof stateErrors.StateStoreUnavailableError ||
    err instanceof stateErrors.StateStoreCorruptError ||
    err instanceof EngineStateDecodeError ||
    err instanceof PublishError ||
    err instanceof DeadLetterRedriveError
  ) {
    // Redis or Kafka failed under an operator command: not a usage mistake
    return { message: err.message, exitCode: 1 };
  }
  const { sourceMappedStack } = await import("./source-mapped-stack.ts");
  const stack = (err as Error).stack;
  return { message: stack === undefined ? String(err) : sourceMappedStack(stack), exitCode: 2 };
}

/** `drift-detector replay … | head`: the reader of stdout went away (stdout is destroyed once a write fails). */
const stdoutReaderGone = (err: unknown): boolean =>
  (err as NodeJS.ErrnoException | undefined)?.code === "EPIPE" && process.stdout.destroyed;

/**
 * A command whose stdout is its output stops quietly (exit 0) when the reader of that output goes away, as Unix
 * tools do, instead of dying on an unhandled EPIPE with a stack. Not `run`: the service logs to stdout, and a
 * lost log reader must not stop it without its shutdown.
 */
function stopQuietlyWhenStdoutCloses(): void {
  process.stdout.on("error", (err) => {
    if ((err as NodeJS.ErrnoException).code === "EPIPE") process.exit(0);
    process.stderr.write(`drift-detector: cannot write to stdout: ${err.message}\n`);
    process.exit(1);
  });
}

const HELP_WORDS = new Set(["help", "--help", "-h"]);

/** Usage text for `help <words…>` / `<group> --help`, or undefined when the words name nothing. */
function usageFor(words: readonly string[]): string | undefined {
  if (words.length === 0) return topUsage();
  const found = findCommand(words);
  if (found !== undefined) return commandUsage(found.command);
  if (commandsInGroup(words[0]).length > 0) return groupUsage(words[0]);
  return undefined;
}

async function main(argv: readonly string[], io: CommandIo): Promise<number> {
  if (argv.length === 0) {
    io.stderr.write(topUsage() + "\n");
    return 2;
  }
  if (argv[0] === "help" || HELP_WORDS.has(argv[0])) {
    const usage = usageFor(argv.slice(1));
    if (usage === undefined) throw unknownCommand(argv.slice(1));
    io.stdout.write(usage + "\n");
    return 0;
  }
  const found = findCommand(argv);
  if (found === undefined) {
    // `baseline --help`, `demo help`
    if (commandsInGroup(argv[0]).length > 0 && argv.length === 2 && HELP_WORDS.has(argv[1])) {
      io.stdout.write(groupUsage(argv[0]) + "\n");
      return 0;
    }
    throw unknownCommand(argv);
  }
  const args = parseCommandArgs(found.command, found.rest);
  if (args === "help") {
    io.stdout.write(commandUsage(found.command) + "\n");
    return 0;
  }
  if (found.command.name !== "run") stopQuietlyWhenStdoutCloses();
  try {
    return await found.command.run(args, io);
  } catch (err) {
    // a value the command itself rejects (`--events abc`): show that command's usage
    if (err instanceof UsageError && err.context.usage === undefined) err.context.usage = commandUsage(found.command);
    throw err;
  }
}

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }).then(
  (code) => {
    process.exitCode = code;
  },
  async (err: unknown) => {
    // the write that failed rejected the command before stdout's error event ended the process
    if (stdoutReaderGone(err)) process.exit(0);
    const { message, exitCode } = await failure(err);
    process.stderr.write(`drift-detector: ${message}\n`);
    process.exitCode = exitCode;
  },
);
