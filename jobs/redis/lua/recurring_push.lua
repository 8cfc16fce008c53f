-- Push a recurring entry's job now, outside its schedule ("enqueue now" from the
-- dashboard), and remember it as the entry's last job. Claims no tick.
-- KEYS[1]  the entry's state hash (jobs:recurring:entry:<name>)
-- KEYS[2]  the "queues" set
-- KEYS[3]  the queue list
-- ARGV[1]  the job payload
-- ARGV[2]  the queue name
-- ARGV[3]  the job's jid
-- ARGV[4]  now, epoch seconds
-- Returns  1
redis.call("sadd", KEYS[2], ARGV[2])
redis.call("lpush", KEYS[3], ARGV[1])
redis.call("hset", KEYS[1], "jid", ARGV[3], "status", "enqueued", "enqueued_at", ARGV[4],
  "status_at", ARGV[4], "manual", "1")
return 1
