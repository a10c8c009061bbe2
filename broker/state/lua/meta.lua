-- meta.lua: record or read the store's partition count and format on open.
-- KEYS: 1 illgw:meta; ARGV: 1 partitions, 2 current format
-- Returns {partitions, format} as stored before this call; a new store
-- is stamped with ARGV and returns them. A store from before formats were
-- recorded has no format field and returns "0".
local p = redis.call('HGET', KEYS[1], 'partitions')
if not p then
  redis.call('HSET', KEYS[1], 'partitions', ARGV[1], 'format', ARGV[2])
  return {ARGV[1], ARGV[2]}
end
return {p, redis.call('HGET', KEYS[1], 'format') or '0'}
