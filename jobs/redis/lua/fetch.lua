-- Reliable fetch: move up to ARGV[1] jobs from the queues into this process's
-- in-progress list, trying the queues in the order given. Each move is an LMOVE,
-- so a job is always in exactly one list, whatever happens to the caller.
-- KEYS[1]   the in-progress list of the fetching process
-- KEYS[2..] the queue lists, in the order to try them
-- ARGV[1]   how many jobs to take at most
-- Returns   the jobs taken (possibly none)
local want = tonumber(ARGV[1])
local taken = {}
for i = 2, #KEYS do
  while #taken < want do
    local job = redis.call("lmove", KEYS[i], KEYS[1], "RIGHT", "LEFT")
    if not job then break end
    taken[#taken + 1] = job
  end
  if #taken >= want then break end
end
return taken
