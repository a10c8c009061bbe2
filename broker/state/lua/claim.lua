-- claim.lua: remove and return due timers of one partition (Store.ClaimDue).
-- The read and the removal are one script, so each timer goes to one caller.
-- KEYS: 1 partition timer zset, 2 timer kinds hash
-- ARGV: 1 now (unix ms), 2 limit
-- Returns a flat list {loan id, due (ms), kind, ...}.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, ARGV[2])
local out = {}
for i = 1, #due, 2 do
  local id = due[i]
  redis.call('ZREM', KEYS[1], id)
  local kind = redis.call('HGET', KEYS[2], id) or ''
  redis.call('HDEL', KEYS[2], id)
  out[#out + 1] = id
  out[#out + 1] = due[i + 1]
  out[#out + 1] = kind
end
return out
