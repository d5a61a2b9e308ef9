import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { stateScripts } from "../../../src/state/redis-scripts.ts";

const LUA_DIR = new URL("../../../src/state/lua/", import.meta.url);

describe("Redis scripts as files", () => {
  it("every script file is loaded once, named <command>-<key count>[+].lua, and registered with that key count", () => {
    const files = readdirSync(LUA_DIR)
      .filter((f) => f.endsWith(".lua"))
      .sort();
    expect(files).toEqual([
      "ackOutbox-2.lua",
      "acquireRetrainLock-1.lua",
      "commitPartition-10+.lua",
      "pendingOutbox-2.lua",
      "releaseRetrainLock-1.lua",
    ]);
    const byName = new Map(stateScripts.map((s) => [s.name, s]));
    for (const file of files) {
      const [, command, keys, more] = /^(\w+)-(\d+)(\+?)\.lua$/.exec(file)!;
      const script = byName.get(`ddState${command[0].toUpperCase()}${command.slice(1)}`);
      expect(script?.numberOfKeys, file).toBe(Number(keys));
      expect(script?.variableKeys, file).toBe(more === "+");
    }
  });

  it("each header documents every key, the arguments and the replies; includes are resolved", () => {
    for (const script of stateScripts) {
      for (let k = 1; k <= script.numberOfKeys; k++) expect(script.lua, script.name).toMatch(new RegExp(`KEYS\\[${k}\\] \\w+`));
      expect(script.lua).toMatch(/ARGV/);
      expect(script.lua).toMatch(/Returns \{"OK"/);
      expect(script.lua).not.toMatch(/@include/);
      expect(script.lua).toMatch(/local function wrong_type/);
    }
  });
});
