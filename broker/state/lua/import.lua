-- import.lua: apply one line of an export stream (Import), idempotently.
-- ARGV[1] is the line kind; the rest depends on it. Returns "ADDED" when
-- written, "SAME" when the store already holds the same content, or a
-- conflict: "DIFF" (other content under the name), "GAP" (earlier events
-- of the loan missing), "TAKEN" (feed position used), "NOLOAN".
local op = ARGV[1]
if op == 'loan' then
  -- KEYS: 1 loan hash, 2 partition index, 3 timers zset, 4 timer kinds
  -- ARGV: 2 id, 3 version, 4 updated ns, 5 data, 6 "1" with a timer, 7 due ms, 8 kind
  local cur = redis.call('HMGET', KEYS[1], 'v', 'u', 'd')
  if cur[1] then
    if cur[1] == ARGV[3] and cur[2] == ARGV[4] and cur[3] == ARGV[5] then return 'SAME' end
    return 'DIFF'
  end
  redis.call('HSET', KEYS[1], 'v', ARGV[3], 'u', ARGV[4], 'd', ARGV[5])
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
  if ARGV[6] == '1' then
    redis.call('ZADD', KEYS[3], ARGV[7], ARGV[2])
    redis.call('HSET', KEYS[4], ARGV[2], ARGV[8])
  end
  return 'ADDED'
elseif op == 'event' then
  -- KEYS: 1 loan hash, 2 loan event list, 3 feed stream, 4 feed counter
  -- ARGV: 2 seq, 3 pos, 4 entry
  if redis.call('EXISTS', KEYS[1]) == 0 then return 'NOLOAN' end
  local n = redis.call('LLEN', KEYS[2])
  local seq = tonumber(ARGV[2])
  if seq <= n then
    if redis.call('LINDEX', KEYS[2], seq - 1) == ARGV[4] then return 'SAME' end
    return 'DIFF'
  end
  if seq ~= n + 1 then return 'GAP' end
  local pos = tonumber(ARGV[3])
  local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
  if #last > 0 and tonumber(string.match(last[1][1], '^(%d+)-')) >= pos then return 'TAKEN' end
  redis.call('RPUSH', KEYS[2], ARGV[4])
  redis.call('XADD', KEYS[3], ARGV[3] .. '-0', 'e', ARGV[4])
  if tonumber(redis.call('GET', KEYS[4]) or '0') < pos then redis.call('SET', KEYS[4], ARGV[3]) end
  return 'ADDED'
elseif op == 'feed' then
  -- KEYS: 1 feed counter; ARGV: 2 last position
  if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[2]) then return 'SAME' end
  redis.call('SET', KEYS[1], ARGV[2])
  return 'ADDED'
else
  -- dedup, ttl, counter. KEYS: 1 the key; ARGV: 2 value, 3 expiry (unix ms)
  local cur = redis.call('GET', KEYS[1])
  if cur then
    if cur == ARGV[2] then return 'SAME' end
    return 'DIFF'
  end
  redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
  return 'ADDED'
end
