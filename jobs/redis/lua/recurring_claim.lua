-- Claim one tick of a recurring entry and push its job in the same step. Ticks
-- are claimed in increasing order, so "tick > last claimed tick" is the claim:
-- however many workers race for a tick, one wins, and a worker dying after
-- its claim cannot lose the job (the push is part of the claim).
-- KEYS[1]  the entry's state hash (jobs:recurring:entry:<name>)
-- KEYS[2]  the "queues" set
-- KEYS[3]  the queue list
-- ARGV[1]  the tick: its scheduled time, whole epoch seconds
-- ARGV[2]  "1" if the settings enable the entry, else "0"; the hash's "enabled"
--          field (set from the dashboard) wins when present
-- ARGV[3]  the job payload
-- ARGV[4]  the queue name
-- ARGV[5]  the job's jid
-- ARGV[6]  now, epoch seconds
-- Returns  1 claimed and pushed, -1 claimed while disabled (nothing pushed),
--          0 this tick or a later one was already claimed
local last = tonumber(redis.call("hget", KEYS[1], "tick") or "")
if last and last >= tonumber(ARGV[1]) then
  return 0
end
redis.call("hset", KEYS[1], "tick", ARGV[1])
local enabled = redis.call("hget", KEYS[1], "enabled") or ARGV[2]
if enabled ~= "1" then
  return -1
end
redis.call("sadd", KEYS[2], ARGV[4])
redis.call("lpush", KEYS[3], ARGV[3])
redis.call("hset", KEYS[1], "jid", ARGV[5], "status", "enqueued", "enqueued_at", ARGV[6],
  "status_at", ARGV[6], "manual", "0")
return 1
