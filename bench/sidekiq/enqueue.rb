# Enqueue N Sidekiq jobs from this one Ruby process; print one JSON line.
#
# usage: ruby enqueue.rb MODE N
#   single   IncrJob.perform_async(i), one call per job, timed around the loop
#   bulk     one Sidekiq::Client.push_bulk("class" => IncrJob, "args" => [[0], [1], ...])
#   latency  N LatJob.perform_async(now_us) calls, 5 ms apart
require "json"
require_relative "jobs"

mode = ARGV.fetch(0)
n = Integer(ARGV.fetch(1))

def mono
  Process.clock_gettime(Process::CLOCK_MONOTONIC)
end

# Open the pool's connection before timing, as a first call would in the Python clients.
Sidekiq.redis { |c| c.ping }

secs = nil
case mode
when "single"
  t = mono
  n.times { |i| IncrJob.perform_async(i) }
  secs = mono - t
when "bulk"
  t = mono
  Sidekiq::Client.push_bulk("class" => IncrJob, "args" => Array.new(n) { |i| [i] })
  secs = mono - t
when "latency"
  n.times do
    LatJob.perform_async(bench_now_us)
    sleep 0.005
  end
else
  abort "unknown mode #{mode}"
end

out = {system: "sidekiq", mode: mode, n: n}
out.update(seconds: secs, rate: n / secs) if secs
puts JSON.generate(out)
