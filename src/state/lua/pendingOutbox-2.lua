--[[
  The oldest pending outbox entries of a partition.

  KEYS[1] outboxOrder    zset   outbox id scored by append sequence
  KEYS[2] outboxEntries  hash   outbox id -> framed entry
  ARGV[1] limit (how many entries at most)

  Returns {"OK", [id, framedEntry, ...]} oldest first | {"WRONGTYPE", key, type}
]]
-- @include wrongType
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
