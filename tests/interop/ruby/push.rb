# frozen_string_literal: true

# Push jobs the way a Rails app does: `ruby push.rb '[{"class": "...", "args": [...]}, ...]'`.
# Prints the jids, in order, as a JSON array.
require_relative "boot"

items = JSON.parse(ARGV.fetch(0))
jids = items.map { |item| Sidekiq::Client.push(item) }
puts JSON.generate(jids)
