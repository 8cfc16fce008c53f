# frozen_string_literal: true

# Press the Web UI's "Quiet" or "Stop" button for one process: `ruby signal.rb IDENTITY quiet|stop`.
# Prints true when the process was found among the live ones.
require_relative "boot"

identity, action = ARGV.fetch(0), ARGV.fetch(1)
process = Sidekiq::ProcessSet.new.find { |candidate| candidate.identity == identity }
case action
when "quiet" then process&.quiet!
when "stop" then process&.stop!
else abort("unknown action #{action}")
end
puts JSON.generate(!process.nil?)
