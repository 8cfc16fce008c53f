# frozen_string_literal: true

# Read the metrics keys with Sidekiq 7+'s own Sidekiq::Metrics::Query and print what it
# finds, as JSON. Debian's gem is Sidekiq 6.4 (no metrics), so the two files of a newer
# Sidekiq's source are loaded from SIDEKIQ_METRICS_LIB (a directory holding
# sidekiq/metrics/shared.rb and query.rb); its connection pool is replaced by a tiny
# adapter over redis-rb 4, which has no `bitfield_ro` method.
#   ruby metrics_query.rb CLASS NOW   (REDIS_URL in the environment)
require "json"
require "time"
require "redis"
Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
require "sidekiq" # 6.4's, for the Sidekiq module itself
$LOAD_PATH.unshift(ENV.fetch("SIDEKIQ_METRICS_LIB"))
$LOAD_PATH.push(File.join(__dir__, "stubs")) # concurrent-ruby, for Sidekiq 7.0
require "sidekiq/metrics/query"

# What Sidekiq's redis-client adapter offers the Query: pipelined, hgetall, hmget, bitfield.
class Connection
  def initialize(redis)
    @redis = redis
  end

  def pipelined
    @redis.pipelined { |pipe| yield Connection.new(pipe) }
  end

  def hgetall(key) = @redis.hgetall(key)

  def hmget(key, *fields) = @redis.hmget(key, *fields)

  def bitfield_ro(key, *args) = @redis.call("BITFIELD_RO", key, *args)

  def bitfield(key, *args) = @redis.call("BITFIELD", key, *args) # Sidekiq 7.0 reads with it
end

# The pool the Query takes instead of Sidekiq's own.
class Pool
  def initialize(redis)
    @connection = Connection.new(redis)
  end

  def with = yield(@connection)
end

klass = ARGV.fetch(0)
now = Time.at(ARGV.fetch(1).to_f)
pool = Pool.new(Redis.new(url: ENV.fetch("REDIS_URL")))

def totals(result)
  result.job_results.to_h { |name, job| [name, job.totals.slice("p", "f", "ms")] }
end

hour = Sidekiq::Metrics::Query.new(pool: pool, now: now).top_jobs(minutes: 60)
# Sidekiq 8 added the 10-minute rollups (`hours:`); 7.x reads minutes only.
takes_hours = Sidekiq::Metrics::Query.instance_method(:top_jobs).parameters.include?([:key, :hours])
day = takes_hours ? Sidekiq::Metrics::Query.new(pool: pool, now: now).top_jobs(hours: 24) : nil
one = Sidekiq::Metrics::Query.new(pool: pool, now: now).for_job(klass, minutes: 60)
buckets = Array.new(Sidekiq::Metrics::Histogram::BUCKET_INTERVALS.size, 0)
# Since 7.1 the Query hands its page each histogram reversed (slowest bucket first).
query_source = File.read(Sidekiq::Metrics::Query.instance_method(:for_job).source_location[0])
reversed = query_source.include?("fetch(conn, time).reverse")
one.job_results[klass].hist.each_value do |counts|
  (reversed ? counts.reverse : counts).each_with_index { |count, index| buckets[index] += count.to_i }
end
puts JSON.generate(
  "hour" => totals(hour),
  "day" => day && totals(day),
  "buckets" => buckets
)
