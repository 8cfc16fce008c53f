# frozen_string_literal: true

# Load Debian's Sidekiq (6.4) with its client and server on REDIS_URL, the test database.
require "json"
require "redis"
Redis.silence_deprecations = true # redis-rb 4.8 warns on every command otherwise
require "sidekiq"
require "sidekiq/api"

Sidekiq.configure_client { |config| config.redis = { url: ENV.fetch("REDIS_URL") } }
Sidekiq.configure_server { |config| config.redis = { url: ENV.fetch("REDIS_URL") } }
