// The atomic operations of RedisStateStore as named Lua scripts (registered with ioredis defineCommand,
// which sends EVALSHA and falls back to EVAL on NOSCRIPT). Every key a script touches is passed in KEYS
// and shares one hash tag, so the scripts run unchanged on Redis Cluster.
//
// Redis does not roll back a script that fails half-way: writes made before the error stay. So every
// writing script first checks everything that could make a later command fail (the fence, the type of
// every key) and only then writes, using commands that cannot fail on keys of the right type.

export interface StateScript {
  /** ioredis command name; the Buffer-returning variant is `${name}Buffer` */
  name: string;
  numberOfKeys: number;
  lua: string;
}

// Lua: returns nil when every key has its expected type (or is absent), else {"WRONGTYPE", key, type}.
const CHECK_TYPES = `
local function wrong_type(expected)
  for i = 1, #expected do
    local t = redis.call('TYPE', KEYS[i])['ok']
    if t ~= 'none' and t ~= expected[i] then return {'WRONGTYPE', KEYS[i], t} end
  end
  return nil
end
`;

/**
 * KEYS: offset, meta, hot, cold, outboxOrder, outboxEntries, outboxSeq, parts
 * ARGV: hasExpected ("1"|"0"), expectedOffset, offset, meta, modelCount,
 *       modelCount × (modelId, hasHot, hot, hasCold, cold, putCount, putCount × (partField, part),
 *                     deleteCount, deleteCount × partField),
 *       entryCount, entryCount × (id, framedEntry)
 * Returns {"OK", appendedCount} | {"STALE", hasStored (0|1), storedOffset} | {"WRONGTYPE", key, type}
 */
export const commitPartitionScript: StateScript = {
  name: "ddStateCommitPartition",
  numberOfKeys: 8,
  lua: `${CHECK_TYPES}
local bad = wrong_type({'string', 'string', 'hash', 'hash', 'zset', 'hash', 'string', 'hash'})
if bad then return bad end
local seq = redis.call('GET', KEYS[7])
if seq and not string.match(seq, '^%d+$') then return {'WRONGTYPE', KEYS[7], 'non-integer string'} end

local stored = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if stored ~= ARGV[2] then
    if stored then return {'STALE', 1, stored} end
    return {'STALE', 0, ''}
  end
elseif stored then
  return {'STALE', 1, stored}
end

redis.call('SET', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[4])
local i = 6
for _ = 1, tonumber(ARGV[5]) do
  if ARGV[i + 1] == '1' then redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 2]) end
  if ARGV[i + 3] == '1' then redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 4]) end
  i = i + 5
  for _ = 1, tonumber(ARGV[i]) do
    redis.call('HSET', KEYS[8], ARGV[i + 1], ARGV[i + 2])
    i = i + 2
  end
  i = i + 1
  for _ = 1, tonumber(ARGV[i]) do
    redis.call('HDEL', KEYS[8], ARGV[i + 1])
    i = i + 1
  end
  i = i + 1
end
local entries = tonumber(ARGV[i])
i = i + 1
local appended = 0
for _ = 1, entries do
  -- idempotent by id: an id still pending keeps its place and its first value
  if redis.call('HSETNX', KEYS[6], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('ZADD', KEYS[5], redis.call('INCR', KEYS[7]), ARGV[i])
    appended = appended + 1
  end
  i = i + 2
end
return {'OK', appended}
`,
};

/**
 * KEYS: outboxOrder, outboxEntries   ARGV: limit
 * Returns {"OK", [id, framedEntry, ...]} oldest first | {"WRONGTYPE", key, type}
 */
export const pendingOutboxScript: StateScript = {
  name: "ddStatePendingOutbox",
  numberOfKeys: 2,
  lua: `${CHECK_TYPES}
local bad = wrong_type({'zset', 'hash'})
if bad then return bad end
local ids = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
local out = {}
for k = 1, #ids do
  out[2 * k - 1] = ids[k]
  -- HGET per id rather than HMGET(unpack(ids)): unpack overflows the Lua stack for large limits
  out[2 * k] = redis.call('HGET', KEYS[2], ids[k]) or ''
end
return {'OK', out}
`,
};

/**
 * KEYS: outboxOrder, outboxEntries   ARGV: ids to remove
 * Returns {"OK", removedCount} | {"WRONGTYPE", key, type}
 */
export const ackOutboxScript: StateScript = {
  name: "ddStateAckOutbox",
  numberOfKeys: 2,
  lua: `${CHECK_TYPES}
local bad = wrong_type({'zset', 'hash'})
if bad then return bad end
local removed = 0
for k = 1, #ARGV do
  removed = removed + redis.call('ZREM', KEYS[1], ARGV[k])
  redis.call('HDEL', KEYS[2], ARGV[k])
end
return {'OK', removed}
`,
};

/**
 * KEYS: lock   ARGV: requestId, ttlMs
 * Returns {"OK", 1, requestId} when acquired (fresh, or re-acquired by the holder with its TTL unchanged),
 * {"OK", 0, holder} when another request holds it | {"WRONGTYPE", key, type}
 */
export const acquireRetrainLockScript: StateScript = {
  name: "ddStateAcquireRetrainLock",
  numberOfKeys: 1,
  lua: `${CHECK_TYPES}
local bad = wrong_type({'string'})
if bad then return bad end
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {'OK', 1, ARGV[1]}
end
if holder == ARGV[1] then return {'OK', 1, holder} end
return {'OK', 0, holder}
`,
};

export const stateScripts: readonly StateScript[] = [
  commitPartitionScript,
  pendingOutboxScript,
  ackOutboxScript,
  acquireRetrainLockScript,
];
