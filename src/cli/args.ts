// Command specs and argv parsing for the CLI, on Node's `util.parseArgs`. A command declares its options
// once; parsing, `--help` and the usage text all come from that declaration, so every command answers
// `--help` and every mistake names the option and shows that command's usage.
import { parseArgs as parseArgv } from "node:util";
import { DetectorError } from "../errors/detector-error.ts";

/** context.usage: the usage text of the command the mistake was made in (the top-level usage when undefined) */
export class UsageError extends DetectorError<{ usage: string | undefined }> {
  constructor(message: string, usage?: string) {
    super(message, { usage });
  }
}

export interface OptionSpec {
  type: "string" | "boolean";
  /** placeholder shown in the usage, e.g. "<file|->" (string options) */
  value?: string;
  description: string;
  required?: boolean;
}

export interface ParsedArgs {
  positionals: string[];
  /** string options map to their value, boolean flags to `true` */
  options: Map<string, string | true>;
}

export interface CommandIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export interface CommandSpec {
  /** the words that select it: "run", "baseline import" */
  name: string;
  /** one line for the command list */
  summary: string;
  options: Readonly<Record<string, OptionSpec>>;
  /** positional arguments, e.g. "<model> [version]"; none are accepted when undefined */
  positionals?: string;
  /** more text under the usage: what it does, where output goes */
  details?: string;
  run(args: ParsedArgs, io: CommandIo): Promise<number>;
}

function optionSynopsis(name: string, spec: OptionSpec): string {
  const text = spec.type === "boolean" ? `--${name}` : `--${name} ${spec.value ?? "<value>"}`;
  return spec.required ? text : `[${text}]`;
}

export function commandUsage(cmd: CommandSpec): string {
  const entries = Object.entries(cmd.options);
  const synopsis = [`usage: drift-detector ${cmd.name}`, ...entries.map(([n, s]) => optionSynopsis(n, s))];
  if (cmd.positionals !== undefined) synopsis.push(cmd.positionals);
  const lines = [synopsis.join(" "), "", `  ${cmd.summary}`];
  if (cmd.details !== undefined) lines.push(...cmd.details.split("\n").map((l) => (l === "" ? "" : `  ${l}`)));
  const width = Math.max(12, ...entries.map(([n, s]) => optionSynopsis(n, { ...s, required: true }).length));
  lines.push("", "options:");
  for (const [name, spec] of entries)
    lines.push(`  ${optionSynopsis(name, { ...spec, required: true }).padEnd(width)}  ${spec.description}`);
  lines.push(`  ${"--help, -h".padEnd(width)}  this text`);
  return lines.join("\n");
}

const HELP_FLAGS = new Set(["--help", "-h"]);

/** Parses a command's argv (after its name); "help" when --help/-h was given (anything else is then ignored). */
export function parseCommandArgs(cmd: CommandSpec, argv: readonly string[]): ParsedArgs | "help" {
  const terminator = argv.indexOf("--");
  if ((terminator < 0 ? argv : argv.slice(0, terminator)).some((a) => HELP_FLAGS.has(a))) return "help";
  const usage = commandUsage(cmd);
  const fail = (message: string): never => {
    throw new UsageError(`${cmd.name}: ${message}`, usage);
  };
  const parserOptions = Object.fromEntries(Object.entries(cmd.options).map(([n, s]) => [n, { type: s.type }]));
  // Non-strict with tokens: the checks below say exactly what is wrong, in our words.
  const { tokens } = parseArgv({ args: [...argv], options: parserOptions, strict: false, allowPositionals: true, tokens: true });
  const parsed: ParsedArgs = { positionals: [], options: new Map() };
  for (const token of tokens) {
    if (token.kind === "positional") parsed.positionals.push(token.value);
    if (token.kind !== "option") continue;
    const spec = cmd.options[token.name];
    if (spec === undefined) fail(`unknown option ${token.rawName}`);
    else if (spec.type === "boolean") {
      if (token.inlineValue) fail(`${token.rawName} takes no value`);
      parsed.options.set(token.name, true);
    } else {
      // "-" alone is a value (stdin); anything else starting with "-" is the next option, not a value
      const value = token.value;
      if (value === undefined || (!token.inlineValue && value.length > 1 && value.startsWith("-")))
        fail(`${token.rawName} needs a value${spec.value === undefined ? "" : ` (${spec.value})`}`);
      else if (value === "") fail(`${token.rawName} needs a non-empty value`);
      else parsed.options.set(token.name, value);
    }
  }
  if (cmd.positionals === undefined && parsed.positionals.length > 0) fail(`unexpected argument "${parsed.positionals[0]}"`);
  for (const [name, spec] of Object.entries(cmd.options)) {
    if (spec.required && !parsed.options.has(name)) fail(`missing --${name} ${spec.value ?? ""}`.trimEnd());
  }
  return parsed;
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}
