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
  KEYS[10] outcomes      hash   modelId -> outcome state (the join and performance windows)

  ARGV[1] the write as JSON; byte values are not in it but referred to by their ARGV index:
    {"expected": "<offset>" | null, "offset": "<offset>" | null,
     "expectedOutcome": "<offset>" | null, "outcomeOffset": "<offset>" | null, "meta": <argv>,
     "models": [{"id": "<modelId>", "hot": <argv>?, "cold": <argv>?, "outcomes": <argv>?, "remove": true?,
                 "put": [["<part field>", <argv>], ...], "del": ["<part field>", ...]}, ...],
    "remove": the model was evicted: its hot, cold and outcomes fields are deleted (its parts are listed in "del")
    "outbox": [["<id>", <argv of the framed entry>], ...]}
  ARGV[2..] the byte values

  Returns {"OK", appendedCount}
        | {"STALE", hasStored (0|1), storedOffset, hasStoredOutcome (0|1), storedOutcomeOffset}
                                                      the fence failed, nothing was written
        | {"WRONGTYPE", key, type}                    a key holds something else, nothing was written
]]
-- @include wrongType
local bad = wrong_type({'string', 'string', 'hash', 'hash', 'zset', 'hash', 'string', 'hash', 'string', 'hash'})
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

local function set_or_delete(key, value)
  if value == nil or value == cjson.null then redis.call('DEL', key) else redis.call('SET', key, value) end
end
set_or_delete(KEYS[1], w.offset)
set_or_delete(KEYS[9], w.outcomeOffset)
redis.call('SET', KEYS[2], ARGV[w.meta])
for _, m in ipairs(w.models) do
  if m.remove then
    redis.call('HDEL', KEYS[3], m.id)
    redis.call('HDEL', KEYS[4], m.id)
    redis.call('HDEL', KEYS[10], m.id)
  end
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
