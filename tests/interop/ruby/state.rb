# frozen_string_literal: true

# Print what Sidekiq's own API (the one its Web UI uses) reads from Redis, as JSON:
# queues, the scheduled/retry/dead sets, processes and the jobs they are running.
require_relative "boot"

def entry(record)
  {
    "jid" => record.jid,
    "class" => record.klass,
    "display_class" => record.display_class,
    "args" => record.args,
    "queue" => record.queue,
    "retry" => record["retry"],
    "retry_count" => record["retry_count"],
    "error_class" => record["error_class"],
    "error_message" => record["error_message"],
    "error_backtrace" => record.error_backtrace,
    "created_at" => record.created_at&.to_f,
    "enqueued_at" => record.enqueued_at&.to_f,
    "failed_at" => record["failed_at"] && Time.at(record["failed_at"]).to_f,
    "retried_at" => record["retried_at"] && Time.at(record["retried_at"]).to_f,
    "at" => record.respond_to?(:at) ? record.at.to_f : nil,
  }
end

processes = Sidekiq::ProcessSet.new.map do |process|
  fields = %w[identity hostname pid tag concurrency queues labels busy beat started_at]
  fields.to_h { |name| [name, process[name]] }.merge("stopping" => process.stopping?)
end

workers = Sidekiq::Workers.new.map do |identity, thread, work|
  job = Sidekiq::JobRecord.new(work["payload"])
  { "identity" => identity, "thread" => thread, "queue" => work["queue"],
    "run_at" => work["run_at"], "job" => entry(job) }
end

puts JSON.generate(
  "queues" => Sidekiq::Queue.all.to_h { |queue| [queue.name, queue.map { |job| entry(job) }] },
  "latency" => Sidekiq::Queue.all.to_h { |queue| [queue.name, queue.latency] },
  "scheduled" => Sidekiq::ScheduledSet.new.map { |job| entry(job) },
  "retry" => Sidekiq::RetrySet.new.map { |job| entry(job) },
  "dead" => Sidekiq::DeadSet.new.map { |job| entry(job) },
  "processes" => processes,
  "workers" => workers,
  "stats" => { "processed" => Sidekiq::Stats.new.processed, "failed" => Sidekiq::Stats.new.failed }
)
