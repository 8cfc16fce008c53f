-- Put a job from an in-progress list back on its queue, at most once: the push
-- happens only if this call removed the job from the list.
-- KEYS[1]  the in-progress list
-- KEYS[2]  the "queues" set
-- KEYS[3]  the queue list
-- ARGV[1]  the job as stored in the in-progress list
-- ARGV[2]  the job to push (may carry an updated recovery count)
-- ARGV[3]  the queue name
-- ARGV[4]  "head" to be fetched next (RPUSH), "tail" to wait its turn (LPUSH)
-- Returns  1 if the job was moved, 0 if it was no longer there
if redis.call("lrem", KEYS[1], 1, ARGV[1]) == 0 then
  return 0
end
redis.call("sadd", KEYS[2], ARGV[3])
if ARGV[4] == "head" then
  redis.call("rpush", KEYS[3], ARGV[2])
else
  redis.call("lpush", KEYS[3], ARGV[2])
end
return 1
