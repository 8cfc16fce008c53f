-- Record what became of a recurring entry's last job (running, succeeded, ...),
-- only if it still is the entry's last job: a late signal from an older run
-- never overwrites the status of a newer one.
-- KEYS[1]  the entry's state hash (jobs:recurring:entry:<name>)
-- ARGV[1]  the job's jid
-- ARGV[2]  the status
-- ARGV[3]  now, epoch seconds
-- Returns  1 if recorded, 0 if the entry's last job is another one
if redis.call("hget", KEYS[1], "jid") ~= ARGV[1] then
  return 0
end
redis.call("hset", KEYS[1], "status", ARGV[2], "status_at", ARGV[3])
return 1
