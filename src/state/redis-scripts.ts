// The atomic operations of RedisStateStore, one Lua file each under src/state/lua/ (bullmq style: named
// `<command>-<number of keys>.lua`, or `<command>-<n>+.lua` for n fixed keys followed by a variable number
// more, with a KEYS/ARGV/returns header). They are read once, when this module
// loads, and registered with ioredis defineCommand (EVALSHA, falling back to EVAL on NOSCRIPT). Every key a
// script touches is passed in KEYS and shares one hash tag, so the scripts run unchanged on Redis Cluster.
// `-- @include <name>` pulls in src/state/lua/includes/<name>.lua.
//
// Redis does not roll back a script that fails half-way: writes made before the error stay. So every
// writing script first checks everything that could make a later command fail (the fence, the type of
// every key) and only then writes, using commands that cannot fail on keys of the right type.
import { readFileSync } from "node:fs";

export interface StateScript {
  /** ioredis command name; the Buffer-returning variant is `${name}Buffer` */
  name: string;
  /** fixed keys (KEYS[1..numberOfKeys]) */
  numberOfKeys: number;
  /** more keys follow the fixed ones: the caller passes the key count (ioredis numberOfKeys undefined) */
  variableKeys: boolean;
  lua: string;
}

const luaDir = new URL("./lua/", import.meta.url);

function loadScript(file: string): StateScript {
  const match = /^([A-Za-z]+)-(\d+)(\+?)\.lua$/.exec(file);
  if (match === null) throw new Error(`Lua script file ${file} is not named <command>-<key count>[+].lua`);
  const lua = readFileSync(new URL(file, luaDir), "utf8").replace(/^-- @include (\w+)$/gm, (_line, name: string) =>
    readFileSync(new URL(`includes/${name}.lua`, luaDir), "utf8"),
  );
  const command = match[1];
  return {
    name: `ddState${command[0].toUpperCase()}${command.slice(1)}`,
    numberOfKeys: Number(match[2]),
    variableKeys: match[3] === "+",
    lua,
  };
}

export const commitPartitionScript = loadScript("commitPartition-10+.lua");
export const pendingOutboxScript = loadScript("pendingOutbox-2.lua");
export const ackOutboxScript = loadScript("ackOutbox-2.lua");
export const acquireRetrainLockScript = loadScript("acquireRetrainLock-1.lua");
export const releaseRetrainLockScript = loadScript("releaseRetrainLock-1.lua");

export const stateScripts: readonly StateScript[] = [
  commitPartitionScript,
  pendingOutboxScript,
  ackOutboxScript,
  acquireRetrainLockScript,
  releaseRetrainLockScript,
];
