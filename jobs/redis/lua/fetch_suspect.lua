-- Take the next suspect to run alone: move it into the in-progress list and name
-- it in the solo marker in the same step, so whoever recovers this worker after
-- its death knows which job ran alone. With no suspect left, clear the marker.
-- The caller has written every ack first: a job the marker still names that is
-- still in the in-progress list was fetched by a call whose reply was lost (a
-- Redis stall), so it never ran: it is handed out again, still named.
-- The marker is a list of one job (LPUSH/LINDEX: no command beyond the ACL the
-- docs give).
-- KEYS[1]    the in-progress list (jobs:inprogress:<identity>)
-- KEYS[2]    the solo marker (jobs:solo:<identity>)
-- KEYS[3..]  the suspects lists of the worker's queues, in order
-- Returns    the job, or false when every suspects list is empty
local named = redis.call("lindex", KEYS[2], 0)
if named and redis.call("lrem", KEYS[1], 1, named) == 1 then
  redis.call("lpush", KEYS[1], named)
  return named
end
redis.call("del", KEYS[2])
for i = 3, #KEYS do
  local job = redis.call("lmove", KEYS[i], KEYS[1], "RIGHT", "LEFT")
  if job then
    redis.call("lpush", KEYS[2], job)
    return job
  end
end
return false
