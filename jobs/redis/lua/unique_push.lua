-- Unique push: take each job's uniqueness lock and push the job, or neither, atomically.
-- KEYS[1]        the `queues` set
-- KEYS[2i]       job i's lock hash (jobs:unique:<digest>)
-- KEYS[2i+1]     job i's destination: its queue list, or the `schedule` sorted set
-- ARGV[1]        "" to push to the queue now, else the score (due time) in `schedule`
-- ARGV[4i-2..4i+1]  job i: jid, payload JSON, lock TTL in seconds, queue name
-- Returns        one 1 (locked and pushed) or 0 (an identical job holds the lock) per job
local at = ARGV[1]
local taken = {}
for i = 1, (#KEYS - 1) / 2 do
  local lock, dest = KEYS[2 * i], KEYS[2 * i + 1]
  local jid, job, ttl, queue = ARGV[4 * i - 2], ARGV[4 * i - 1], ARGV[4 * i], ARGV[4 * i + 1]
  if redis.call("exists", lock) == 0 then
    redis.call("hset", lock, jid, "1")
    redis.call("expire", lock, ttl)
    if at == "" then
      redis.call("sadd", KEYS[1], queue)
      redis.call("lpush", dest, job)
    else
      redis.call("zadd", dest, at, job)
    end
    taken[i] = 1
  else
    taken[i] = 0
  end
end
return taken
