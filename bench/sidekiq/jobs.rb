# Sidekiq benchmark jobs, loaded by the worker (`sidekiq -r ./jobs.rb -c 10`) and by
# enqueue.rb. Redis: BENCH_REDIS_URL (the run's private server). Bookkeeping keys as in
# ../peers/common.py: bench:done (INCR per job), bench:first / bench:last (wall-clock
# start of the first job / end of the job that makes the counter reach N), bench:finish
# (RPUSHed once; the driver BLPOPs it), bench:lat (latencies, us).
require "sidekiq"

BENCH_URL = ENV.fetch("BENCH_REDIS_URL")
BENCH_N = Integer(ENV.fetch("BENCH_N", "10000"))

# redis-rb 4.8 + sidekiq 6.4 print a deprecation warning about Redis#sadd on every
# perform_async and heartbeat; the message is its only effect.
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)

Sidekiq.configure_server { |config| config.redis = {url: BENCH_URL} }
Sidekiq.configure_client { |config| config.redis = {url: BENCH_URL} }

# BENCH_LOG_LEVEL=warn drops Sidekiq's two INFO lines per job ("start", "done");
# otherwise Sidekiq's default level (INFO), as in a stock install.
Sidekiq.logger.level = Logger::WARN if ENV["BENCH_LOG_LEVEL"] == "warn"

def bench_now_us
  Process.clock_gettime(Process::CLOCK_REALTIME, :microsecond)
end

# The throughput job: one int argument, body = INCR bench:done.
class IncrJob
  include Sidekiq::Worker

  def perform(i)
    Sidekiq.redis do |c|
      n = c.incr("bench:done")
      c.set("bench:first", Time.now.to_f.to_s) if n == 1
      if n == BENCH_N
        c.set("bench:last", Time.now.to_f.to_s)
        c.rpush("bench:finish", 1)
      end
    end
  end
end

# The latency job: the argument is the enqueue time in integer microseconds.
class LatJob
  include Sidekiq::Worker

  def perform(ts_us)
    d = bench_now_us - Integer(ts_us)
    Sidekiq.redis { |c| c.rpush("bench:lat", d) }
  end
end
