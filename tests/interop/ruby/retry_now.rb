# frozen_string_literal: true

# Press the Web UI's "Retry Now" on one job: `ruby retry_now.rb retry|dead JID`.
# Prints true when the job was found and sent back to its queue.
require_relative "boot"

set = { "retry" => Sidekiq::RetrySet, "dead" => Sidekiq::DeadSet }.fetch(ARGV.fetch(0)).new
job = set.find_job(ARGV.fetch(1))
job&.retry
puts JSON.generate(!job.nil?)
