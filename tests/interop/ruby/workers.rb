# frozen_string_literal: true

# Ruby job classes for `sidekiq -r ./workers.rb`. Each run is recorded in `ledger:ruby`.
require_relative "boot"

module Ledger
  def self.record(job, args)
    entry = { "jid" => job.jid, "class" => job.class.name, "args" => args }
    Sidekiq.redis { |conn| conn.rpush("ledger:ruby", JSON.generate(entry)) }
  end
end

# The Ruby class a Python job names with `name = "HardWorker"`.
class HardWorker
  include Sidekiq::Worker

  def perform(*args)
    Ledger.record(self, args)
  end
end

# Fails its first run, succeeds afterwards: a real Ruby retry (or, with retry 0, a dead job).
class FlakyWorker
  include Sidekiq::Worker
  def perform(label)
    runs = Sidekiq.redis { |conn| conn.incr("ledger:flaky:#{jid}") }
    raise ArgumentError, "flaky #{label} failed on run #{runs}" if runs == 1

    Ledger.record(self, [label])
  end
end

# Holds its thread until the test lets it go, so it shows up as running.
class SleepyWorker
  include Sidekiq::Worker

  def perform(key)
    Sidekiq.redis { |conn| conn.rpush("ledger:ruby:started", jid) }
    Sidekiq.redis { |conn| conn.blpop(key, timeout: 30) }
    Ledger.record(self, [key])
  end
end
