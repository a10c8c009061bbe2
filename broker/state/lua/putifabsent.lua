-- putifabsent.lua: store a TTL entry unless a live one exists (Store.PutIfAbsent).
-- KEYS: 1 entry; ARGV: 1 value, 2 ttl (ms)
-- Returns {1, value} when created, {0, stored value} otherwise.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, ARGV[1]}
end
return {0, redis.call('GET', KEYS[1])}
