-- Move a job from a list to the end of a suspects list, at most once: the push
-- happens only if this call removed the job from the list, so two workers
-- recovering the same dead worker never move it twice.
-- KEYS[1]  the list holding the job (an in-progress list)
-- KEYS[2]  the suspects list of the job's queue (jobs:suspects:<queue>)
-- ARGV[1]  the job as stored in KEYS[1]
-- ARGV[2]  the job to push (with its suspicion and blame marks)
-- Returns  1 if the job was moved, 0 if it was no longer there
if redis.call("lrem", KEYS[1], 1, ARGV[1]) == 0 then
  return 0
end
redis.call("lpush", KEYS[2], ARGV[2])
return 1
