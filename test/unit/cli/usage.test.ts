import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { commandUsage, parseCommandArgs, UsageError, type CommandSpec } from "../../../src/cli/args.ts";
import { COMMANDS } from "../../../src/cli/commands.ts";

const run = promisify(execFile);
const BIN = new URL("../../../src/cli/bin.js", import.meta.url).pathname;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run("node", [BIN, ...args], { env: { ...process.env, NO_COLOR: "1" } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const replay = COMMANDS.find((c) => c.name === "replay") as CommandSpec;

function usageError(cmd: CommandSpec, argv: string[]): UsageError {
  try {
    parseCommandArgs(cmd, argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`no usage error for ${argv.join(" ")}`);
}

describe("CLI argument parsing (util.parseArgs)", () => {
  it("reads string options (separate or after =), boolean flags and stdin as -", () => {
    expect(parseCommandArgs(replay, ["--input", "-", "--strict", "--config=c.yaml"])).toEqual({
      positionals: [],
      options: new Map<string, string | true>([
        ["input", "-"],
        ["strict", true],
        ["config", "c.yaml"],
      ]),
    });
  });

  it("--help or -h anywhere before -- asks for help, even when a required option is missing or another is wrong", () => {
    expect(parseCommandArgs(replay, ["--help"])).toBe("help");
    expect(parseCommandArgs(replay, ["--bogus", "-h"])).toBe("help");
    expect(parseCommandArgs(replay, ["--input", "--help"])).toBe("help");
  });

  it.each([
    [["--input", "x", "--bogus"], "replay: unknown option --bogus"],
    [["--input"], "replay: --input needs a value (<file|->)"],
    [["--input", "--strict"], "replay: --input needs a value (<file|->)"],
    [["--input="], "replay: --input needs a non-empty value"],
    [["--strict=yes", "--input", "x"], "replay: --strict takes no value"],
    [["--input", "x", "extra"], 'replay: unexpected argument "extra"'],
    [["--strict"], "replay: missing --input <file|->"],
  ])("%j is refused with %j and the command's usage", (argv, message) => {
    const err = usageError(replay, argv);
    expect(err.message).toBe(message);
    expect(err.context.usage).toBe(commandUsage(replay));
  });

  it("a command's usage lists every option it accepts, marks required ones and mentions --help", () => {
    const usage = commandUsage(replay);
    expect(usage.split("\n")[0]).toBe(
      "usage: drift-detector replay --input <file|-> [--outcomes <file>] [--config <file>] [--strict] [--reference <file>] [--now <ms|ISO-8601>]",
    );
    for (const name of Object.keys(replay.options)) expect(usage).toMatch(new RegExp(`^  --${name}\\b`, "m"));
    expect(usage).toMatch(/^ {2}--help, -h +this text$/m);
  });
});

describe("the drift-detector CLI", () => {
  // Every command of the table, including the ones added later, answers --help with its own usage.
  it.each(COMMANDS.map((c) => [c.name]))("`%s --help` prints its usage on stdout and exits 0", async (name) => {
    const command = COMMANDS.find((c) => c.name === name) as CommandSpec;
    const res = await cli(...name.split(" "), "--help");
    expect(res).toMatchObject({ code: 0, stderr: "" });
    expect(res.stdout).toBe(commandUsage(command) + "\n");
  });

  it("groups and the top level answer --help and help: baseline, demo, help <command>", async () => {
    const [baseline, demo, top, helpFor] = await Promise.all([
      cli("baseline", "--help"),
      cli("demo", "help"),
      cli("--help"),
      cli("help", "baseline", "import"),
    ]);
    expect(baseline.code).toBe(0);
    expect(baseline.stdout).toMatch(/^usage: drift-detector baseline <.*import.*> \[options\]$/m);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toMatch(/^ {2}demo generate +write the seeded demo stream/m);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(`  ${c.name} `);
    expect(helpFor).toMatchObject({
      code: 0,
      stdout: commandUsage(COMMANDS.find((c) => c.name === "baseline import") as CommandSpec) + "\n",
    });
  });

  it("a bad flag, a missing value or an unknown sub-command exits 2 with what is wrong and that command's usage on stderr", async () => {
    const [unknown, missing, sub, badValue] = await Promise.all([
      cli("baseline", "import", "--input", "x.jsonl", "--modle", "m"),
      cli("replay", "--input"),
      cli("baseline", "frobnicate"),
      cli("demo", "generate", "--events", "many"),
    ]);
    expect(unknown).toMatchObject({ code: 2, stdout: "" });
    expect(unknown.stderr).toMatch(
      /^drift-detector: baseline import: unknown option --modle\n\nusage: drift-detector baseline import --input/,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^drift-detector: replay: --input needs a value \(<file\|->\)\n\nusage: drift-detector replay /);
    expect(sub.code).toBe(2);
    expect(sub.stderr).toMatch(/^drift-detector: unknown baseline command "frobnicate"\n\nusage: drift-detector baseline </);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toMatch(
      /^drift-detector: --events must be an integer >= 1, got "many"\n\nusage: drift-detector demo generate /,
    );
  }, 60_000);

  it("no command at all prints the command list on stderr and exits 2", async () => {
    const res = await cli();
    expect(res).toMatchObject({ code: 2, stdout: "" });
    expect(res.stderr).toMatch(/^usage: drift-detector <command> \[options\]/);
  });
});
