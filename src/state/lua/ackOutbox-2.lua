--[[
  Removes published entries from a partition's outbox (idempotent).

  KEYS[1] outboxOrder    zset
  KEYS[2] outboxEntries  hash
  ARGV    the ids to remove

  Returns {"OK", removedCount} | {"WRONGTYPE", key, type}
]]
-- @include wrongType
local bad = wrong_type({'zset', 'hash'})
if bad then return bad end
local removed = 0
for k = 1, #ARGV do
  removed = removed + redis.call('ZREM', KEYS[1], ARGV[k])
  redis.call('HDEL', KEYS[2], ARGV[k])
end
return {'OK', removed}
