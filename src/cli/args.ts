// Minimal argv parsing for the CLI: `--flag value`, `--flag=value`, boolean flags, positionals.

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface ParsedArgs {
  positionals: string[];
  options: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[], booleanFlags: readonly string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "-") positionals.push(arg);
    else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (eq >= 0) options.set(name, arg.slice(eq + 1));
      else if (booleanFlags.includes(name)) options.set(name, true);
      else {
        const value = argv[i + 1];
        if (value === undefined || (value.startsWith("--") && value !== "-")) throw new UsageError(`--${name} needs a value`);
        options.set(name, value);
        i++;
      }
    } else positionals.push(arg);
  }
  return { positionals, options };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}
