--[[
  Releases the retrain lock when the given request holds it (a manual request whose publish failed must
  not keep the cooldown it never used).

  KEYS[1] lock   string  holder request id, with a TTL
  ARGV[1] requestId

  Returns {"OK", 1} released | {"OK", 0} another request (or none) holds it
        | {"WRONGTYPE", key, type}
]]
-- @include wrongType
local bad = wrong_type({'string'})
if bad then return bad end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {'OK', 1}
end
return {'OK', 0}
