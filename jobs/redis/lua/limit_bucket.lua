-- Token bucket: n tokens at most, refilled at n per `per` s; take one if there is one.
-- KEYS[1]  the bucket: hash {tokens, at} (at = Redis-clock seconds of the last update)
-- KEYS[2]  jobs:limits:seen   KEYS[3] jobs:limits:meta   KEYS[4] jobs:limits:stats
-- ARGV[1]  limiter name   ARGV[2] its description   ARGV[3] n   ARGV[4] per (s)
-- Returns  {1, 0} taken, or {0, ms until the next token}
local t = redis.call("time")
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n, per = tonumber(ARGV[3]), tonumber(ARGV[4])
local state = redis.call("hmget", KEYS[1], "tokens", "at")
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil or at == nil then tokens, at = n, now end
tokens = math.min(n, tokens + math.max(0, now - at) * n / per)
-- Forget limiters unused for a week (per-key names would pile up): 10 at most per ask.
local stale = redis.call("zrangebyscore", KEYS[2], "-inf", now - 604800, "LIMIT", 0, 10)
for _, old in ipairs(stale) do
  redis.call("zrem", KEYS[2], old)
  redis.call("hdel", KEYS[3], old)
  redis.call("hdel", KEYS[4], old .. "|yes", old .. "|no")
end
redis.call("zadd", KEYS[2], now, ARGV[1])
redis.call("hset", KEYS[3], ARGV[1], ARGV[2])
local taken = 0
if tokens >= 1 then
  tokens, taken = tokens - 1, 1
end
redis.call("hset", KEYS[1], "tokens", tostring(tokens), "at", tostring(now))
redis.call("expire", KEYS[1], math.ceil(per) + 1)
if taken == 1 then
  redis.call("hincrby", KEYS[4], ARGV[1] .. "|yes", 1)
  return {1, 0}
end
redis.call("hincrby", KEYS[4], ARGV[1] .. "|no", 1)
return {0, math.floor((1 - tokens) * per / n * 1000) + 1}
