--[[
  Atomically writes a partition's state, its last applied offsets (predictions and the co-partitioned
  outcomes topic) and new outbox entries, fenced by both offsets as the writer loaded or last wrote them.

  KEYS[1] offset         string
  KEYS[2] meta           string
  KEYS[3] hot            hash   modelId -> hot bytes
  KEYS[4] cold           hash   modelId -> cold bytes
  KEYS[5] outboxOrder    zset   outbox id scored by append sequence
  KEYS[6] outboxEntries  hash   outbox id -> framed entry
  KEYS[7] outboxSeq      string append sequence counter
  KEYS[8] parts          hash   <modelId>|<partKey> -> immutable part of a model's cold state
  KEYS[9] outcomeOffset  string last applied offset of the outcomes topic's partition
  KEYS[10] outcomes      hash   modelId -> outcome state (the join's counters, performance windows)
  KEYS[11..] join        hash   per model of the write: the join's entries, field -> value (join-entry-codec.ts)

  ARGV[1] the write as JSON; byte values are not in it but referred to by their ARGV index:
    {"expected": "<offset>" | null, "offset": "<offset>" | null,
     "expectedOutcome": "<offset>" | null, "outcomeOffset": "<offset>" | null, "meta": <argv>,
     "models": [{"id": "<modelId>", "join": <KEYS index>, "hot": <argv>?, "cold": <argv>?, "outcomes": <argv>?,
                 "remove": true?, "jput": <argv>?, "jdel": <argv>?,
                 "put": [["<part field>", <argv>], ...], "del": ["<part field>", ...]}, ...],
    "remove": the model was evicted: its hot, cold and outcomes fields and its join hash are deleted (its parts
              are listed in "del") before the rest of the model's write is applied
    "jput": join fields to set, "jdel": join fields to delete, each one ARGV of records <u32 big-endian length><bytes>
            (jput: field, value, field, value, ...)
    "outbox": [["<id>", <argv of the framed entry>], ...]}
  ARGV[2..] the byte values

  Returns {"OK", appendedCount}
        | {"STALE", hasStored (0|1), storedOffset, hasStoredOutcome (0|1), storedOutcomeOffset}
                                                      the fence failed, nothing was written
        | {"WRONGTYPE", key, type}                    a key holds something else, nothing was written
        | {"BADPLAN", message}                        the write is malformed, nothing was written
]]
-- @include wrongType
local types = {'string', 'string', 'hash', 'hash', 'zset', 'hash', 'string', 'hash', 'string', 'hash'}
for i = 11, #KEYS do types[i] = 'hash' end
local bad = wrong_type(types)
if bad then return bad end
local seq = redis.call('GET', KEYS[7])
if seq and not string.match(seq, '^%d+$') then return {'WRONGTYPE', KEYS[7], 'non-integer string'} end

local w = cjson.decode(ARGV[1])
local stored = redis.call('GET', KEYS[1])
local storedOutcome = redis.call('GET', KEYS[9])
-- absent key: GET gives false; absent in the JSON: nil; JSON null: cjson.null — all mean "none"
local function same(value, expected)
  if expected == nil or expected == cjson.null then return not value end
  return value == expected
end
if not same(stored, w.expected) or not same(storedOutcome, w.expectedOutcome) then
  return {'STALE', stored and 1 or 0, stored or '', storedOutcome and 1 or 0, storedOutcome or ''}
end

-- <u32 length><bytes> records of one ARGV, or nil when they do not add up (checked before anything is written)
local function records(blob)
  local out, i, n = {}, 1, #blob
  while i <= n do
    if i + 3 > n then return nil end
    local a, b, c, d = string.byte(blob, i, i + 3)
    local len = ((a * 256 + b) * 256 + c) * 256 + d
    if i + 3 + len > n then return nil end
    out[#out + 1] = string.sub(blob, i + 4, i + 3 + len)
    i = i + 4 + len
  end
  return out
end
local joins = {}
for index, m in ipairs(w.models) do
  local j = {}
  if m.jput then
    j.put = records(ARGV[m.jput])
    if not j.put or #j.put % 2 ~= 0 then return {'BADPLAN', 'join puts of model ' .. m.id .. ' are not field/value records'} end
  end
  if m.jdel then
    j.del = records(ARGV[m.jdel])
    if not j.del then return {'BADPLAN', 'join deletes of model ' .. m.id .. ' are not records'} end
  end
  if (m.jput or m.jdel or m.remove) and not (m.join and KEYS[m.join]) then
    return {'BADPLAN', 'model ' .. m.id .. ' names no join key'}
  end
  joins[index] = j
end
-- HSET/HDEL with many fields per call, below Lua's limit on unpacked arguments
local BATCH = 1000
local function hset_all(key, list)
  for i = 1, #list, BATCH do redis.call('HSET', key, unpack(list, i, math.min(i + BATCH - 1, #list))) end
end
local function hdel_all(key, list)
  for i = 1, #list, BATCH do redis.call('HDEL', key, unpack(list, i, math.min(i + BATCH - 1, #list))) end
end

local function set_or_delete(key, value)
  if value == nil or value == cjson.null then redis.call('DEL', key) else redis.call('SET', key, value) end
end
set_or_delete(KEYS[1], w.offset)
set_or_delete(KEYS[9], w.outcomeOffset)
redis.call('SET', KEYS[2], ARGV[w.meta])
for index, m in ipairs(w.models) do
  if m.remove then
    redis.call('HDEL', KEYS[3], m.id)
    redis.call('HDEL', KEYS[4], m.id)
    redis.call('HDEL', KEYS[10], m.id)
    redis.call('DEL', KEYS[m.join])
  end
  local j = joins[index]
  if j.put then hset_all(KEYS[m.join], j.put) end
  if j.del then hdel_all(KEYS[m.join], j.del) end
  if m.hot then redis.call('HSET', KEYS[3], m.id, ARGV[m.hot]) end
  if m.cold then redis.call('HSET', KEYS[4], m.id, ARGV[m.cold]) end
  if m.outcomes then redis.call('HSET', KEYS[10], m.id, ARGV[m.outcomes]) end
  for _, put in ipairs(m.put) do redis.call('HSET', KEYS[8], put[1], ARGV[put[2]]) end
  for _, field in ipairs(m.del) do redis.call('HDEL', KEYS[8], field) end
end
local appended = 0
for _, entry in ipairs(w.outbox) do
  -- idempotent by id: an id still pending keeps its place and its first value
  if redis.call('HSETNX', KEYS[6], entry[1], ARGV[entry[2]]) == 1 then
    redis.call('ZADD', KEYS[5], redis.call('INCR', KEYS[7]), entry[1])
    appended = appended + 1
  end
end
return {'OK', appended}
