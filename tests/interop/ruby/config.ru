# frozen_string_literal: true

# Sidekiq's own Web UI on the test database: `rackup -s webrick -o 127.0.0.1 -p PORT config.ru`.
require_relative "boot"
require "securerandom"
require "sidekiq/web"

# Sidekiq::Web keeps its CSRF token in the session, so it refuses to run without one.
use Rack::Session::Cookie, secret: SecureRandom.hex(32), same_site: true, max_age: 86_400
run Sidekiq::Web
