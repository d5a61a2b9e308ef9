--[[
  At most one retrain request per model per cooldown across all replicas.

  KEYS[1] lock   string  holder request id, with a TTL
  ARGV[1] requestId
  ARGV[2] ttlMs

  Returns {"OK", 1, requestId} acquired (fresh, or re-acquired by its holder with the TTL unchanged)
        | {"OK", 0, holder}    another request holds it
        | {"WRONGTYPE", key, type}
]]
-- @include wrongType
local bad = wrong_type({'string'})
if bad then return bad end
local holder = redis.call('GET', KEYS[1])
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {'OK', 1, ARGV[1]}
end
if holder == ARGV[1] then return {'OK', 1, holder} end
return {'OK', 0, holder}
