-- Returns nil when every KEYS[i] has type expected[i] (or is absent), else {"WRONGTYPE", key, type}.
-- Scripts check this before writing anything: Redis does not roll back a script that fails half-way.
local function wrong_type(expected)
  for i = 1, #expected do
    local t = redis.call('TYPE', KEYS[i])['ok']
    if t ~= 'none' and t ~= expected[i] then return {'WRONGTYPE', KEYS[i], t} end
  end
  return nil
end
