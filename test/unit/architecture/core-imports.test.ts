// The lint configuration is what keeps the functional core free of I/O; these tests prove it bites,
// so a relaxed rule cannot pass unnoticed.
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const eslint = new ESLint({ overrideConfigFile: "test/eslint.config.js" });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("core import rules", () => {
  it.each([
    ["kafkajs", 'import { Kafka } from "kafkajs";\nexport const k = Kafka;\n'],
    ["ioredis", 'import Redis from "ioredis";\nexport const r = Redis;\n'],
    ["pino", 'import pino from "pino";\nexport const p = pino;\n'],
    ["prom-client", 'import { Counter } from "prom-client";\nexport const c = Counter;\n'],
    ["node:fs", 'import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n'],
    ["node:net", 'import { createServer } from "node:net";\nexport const s = createServer;\n'],
    ["a shell folder", 'import { chunksOf } from "../kafka/consumer.ts";\nexport const c = chunksOf;\n'],
    ["the config parser", 'import { loadConfig } from "../config/load.ts";\nexport const c = loadConfig;\n'],
  ])("a core module importing %s fails lint", async (_what, code) => {
    for (const dir of ["events", "sketch", "stats", "windows", "detect", "baseline", "outcomes"]) {
      expect(await restrictedImports(`src/${dir}/probe.ts`, code)).toHaveLength(1);
    }
  });

  it("a core module may import the error base class, which is itself held to the core's rules", async () => {
    const code = 'import { DetectorError } from "../errors/detector-error.ts";\nexport const e = DetectorError;\n';
    for (const dir of ["events", "sketch", "stats", "windows", "detect", "baseline", "outcomes"]) {
      expect(await restrictedImports(`src/${dir}/probe.ts`, code)).toEqual([]);
    }
    const io = 'import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n';
    expect(await restrictedImports("src/errors/probe.ts", io)).toHaveLength(1);
  });

  it("a shell module may import kafkajs and the core", async () => {
    const code =
      'import { Kafka } from "kafkajs";\nimport { ksStatistic } from "../stats/index.ts";\nexport const k = [Kafka, ksStatistic];\n';
    expect(await restrictedImports("src/kafka/probe.ts", code)).toEqual([]);
  });

  it("only the schema-file loader in src/events may read files", async () => {
    const code = 'import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n';
    expect(await restrictedImports("src/events/schema-files.ts", code)).toEqual([]);
    expect(await restrictedImports("src/events/codec.ts", code)).toHaveLength(1);
  });
});
