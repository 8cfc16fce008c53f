-- Move sorted-set members (schedule, retry or dead) onto their queues, each at
-- most once: a member is pushed only if this call removed it, so pollers and
-- dashboard clicks racing over the same jobs never enqueue one twice.
-- KEYS[1]   the sorted set
-- KEYS[2]   the "queues" set
-- KEYS[3..] the queue lists named in ARGV
-- ARGV      groups of 4: member as stored, payload to push, index in KEYS of its
--           queue list, queue name
-- Returns   how many members were moved
local moved = 0
for i = 1, #ARGV, 4 do
  if redis.call("zrem", KEYS[1], ARGV[i]) == 1 then
    redis.call("sadd", KEYS[2], ARGV[i + 3])
    redis.call("lpush", KEYS[tonumber(ARGV[i + 2])], ARGV[i + 1])
    moved = moved + 1
  end
end
return moved
