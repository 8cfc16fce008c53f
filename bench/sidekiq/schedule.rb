# Schedule N Sidekiq latency jobs due 1-3 s ahead, evenly spread; print one JSON line.
#
# usage: ruby schedule.rb N
# Each job is LatJob.perform_at(due, due_us): its body records (start - due) in bench:lat,
# as bench/djangoapp/schedule.py does for ours.
require "json"
require_relative "jobs"

n = Integer(ARGV.fetch(0))
AHEAD = 1.0
SPAN = 2.0

Sidekiq.redis { |c| c.ping }
start = Time.now.to_f
n.times do |i|
  due = start + AHEAD + SPAN * i / [n - 1, 1].max
  LatJob.perform_at(due, (due * 1_000_000).to_i)
end
puts JSON.generate(system: "sidekiq", mode: "scheduled", n: n, seconds: Time.now.to_f - start)
