-- Concurrent limiter: take a lease if fewer than n live leases are held.
-- KEYS[1]  the leases: sorted set, member = token, score = expiry (Redis-clock seconds)
-- KEYS[2]  jobs:limits:seen (name -> last asked)   KEYS[3] jobs:limits:meta   KEYS[4] jobs:limits:stats
-- ARGV[1]  limiter name   ARGV[2] its description   ARGV[3] n   ARGV[4] lock_timeout (s)
-- ARGV[5]  the new lease's token
-- Returns  {1, 0} taken, or {0, ms until the earliest lease expires}
local t = redis.call("time")
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call("zremrangebyscore", KEYS[1], "-inf", now)  -- leases of killed workers
-- Forget limiters unused for a week (per-key names would pile up): 10 at most per ask.
local stale = redis.call("zrangebyscore", KEYS[2], "-inf", now - 604800, "LIMIT", 0, 10)
for _, old in ipairs(stale) do
  redis.call("zrem", KEYS[2], old)
  redis.call("hdel", KEYS[3], old)
  redis.call("hdel", KEYS[4], old .. "|yes", old .. "|no")
end
redis.call("zadd", KEYS[2], now, ARGV[1])
redis.call("hset", KEYS[3], ARGV[1], ARGV[2])
if redis.call("zcard", KEYS[1]) < n then
  redis.call("zadd", KEYS[1], now + ttl, ARGV[5])
  redis.call("expire", KEYS[1], math.ceil(ttl) + 1)
  redis.call("hincrby", KEYS[4], ARGV[1] .. "|yes", 1)
  return {1, 0}
end
redis.call("hincrby", KEYS[4], ARGV[1] .. "|no", 1)
local first = redis.call("zrange", KEYS[1], 0, 0, "WITHSCORES")
return {0, math.floor((tonumber(first[2]) - now) * 1000)}
