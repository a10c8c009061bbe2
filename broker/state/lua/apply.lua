-- apply.lua: one loan write (Store.Apply). All keys carry the partition's
-- hash tag, so the script runs on one Redis Cluster node, atomically.
-- KEYS: 1 loan hash, 2 loan event list, 3 partition feed stream,
--       4 partition feed counter, 5 partition timer zset, 6 timer kinds hash,
--       7 partition loan index zset, 8 dedup record
-- ARGV: 1 loan id, 2 expected version, 3 data, 4 now (unix ns), 5 fingerprint,
--       6 "1" if a dedup key is given, 7 dedup ttl (ms), 8 timer op ("", "set",
--       "cancel"), 9 due (unix ms), 10 timer kind, 11 event count, 12.. event blobs
-- Returns {"OK", version, first feed pos, first seq} or
-- {"DUP", version, updated} / {"DUPMISMATCH"} / {"EXISTS"} / {"NOTFOUND"} /
-- {"CONFLICT", current version}.
local id = ARGV[1]
local expect = tonumber(ARGV[2])
if ARGV[6] == '1' then
  local rec = redis.call('GET', KEYS[8])
  if rec then
    local v, u, fp = string.match(rec, '^(%d+),(%d+),(.*)$')
    if fp ~= ARGV[5] then return {'DUPMISMATCH'} end
    return {'DUP', v, u}
  end
end
local cur = redis.call('HGET', KEYS[1], 'v')
cur = cur and tonumber(cur) or 0
if expect == 0 and cur ~= 0 then return {'EXISTS'} end
if expect ~= 0 and cur == 0 then return {'NOTFOUND'} end
if expect ~= cur then return {'CONFLICT', string.format('%d', cur)} end
local nextv = string.format('%d', cur + 1)
redis.call('HSET', KEYS[1], 'v', nextv, 'u', ARGV[4], 'd', ARGV[3])
if cur == 0 then redis.call('ZADD', KEYS[7], 0, id) end
local n = tonumber(ARGV[11])
local seq = redis.call('LLEN', KEYS[2])
local firstPos, firstSeq = 0, seq + 1
for i = 1, n do
  local pos = redis.call('INCR', KEYS[4])
  if i == 1 then firstPos = pos end
  seq = seq + 1
  local entry = string.format('%d,%d,', pos, seq) .. ARGV[11 + i]
  redis.call('RPUSH', KEYS[2], entry)
  redis.call('XADD', KEYS[3], string.format('%d-0', pos), 'e', entry)
end
if ARGV[8] == 'set' then
  redis.call('ZADD', KEYS[5], ARGV[9], id)
  redis.call('HSET', KEYS[6], id, ARGV[10])
elseif ARGV[8] == 'cancel' then
  redis.call('ZREM', KEYS[5], id)
  redis.call('HDEL', KEYS[6], id)
end
if ARGV[6] == '1' then
  redis.call('SET', KEYS[8], nextv .. ',' .. ARGV[4] .. ',' .. ARGV[5], 'PX', ARGV[7])
end
return {'OK', nextv, string.format('%d', firstPos), string.format('%d', firstSeq)}
