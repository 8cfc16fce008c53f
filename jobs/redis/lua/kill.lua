-- Send jobs to the dead set, each at most once, and trim the dead set in the
-- same atomic step (by age, then by size) as Sidekiq does.
-- KEYS[1]  where the jobs are now: a sorted set or an in-progress list
-- KEYS[2]  the "dead" sorted set
-- ARGV[1]  "zset" or "list": the type of KEYS[1]
-- ARGV[2]  now (score of the new dead entries)
-- ARGV[3]  entries scored at or below this are trimmed (now - max age)
-- ARGV[4]  most entries to keep
-- ARGV[5..] pairs: member as stored in KEYS[1], record to add to dead
-- Returns  {moved, trimmed by age, trimmed by size}
local moved = 0
for i = 5, #ARGV, 2 do
  local removed
  if ARGV[1] == "zset" then
    removed = redis.call("zrem", KEYS[1], ARGV[i])
  else
    removed = redis.call("lrem", KEYS[1], 1, ARGV[i])
  end
  if removed == 1 then
    redis.call("zadd", KEYS[2], ARGV[2], ARGV[i + 1])
    moved = moved + 1
  end
end
local by_age = redis.call("zremrangebyscore", KEYS[2], "-inf", ARGV[3])
local by_size = redis.call("zremrangebyrank", KEYS[2], 0, -(tonumber(ARGV[4]) + 1))
return {moved, by_age, by_size}
