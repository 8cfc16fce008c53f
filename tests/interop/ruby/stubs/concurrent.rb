# frozen_string_literal: true

# Sidekiq 7.0's metrics counters use concurrent-ruby's AtomicFixnum; Debian's Sidekiq 6.4
# does not bring that gem. The Query only creates counters, never shares them between
# threads, so this stand-in is enough. It sits last on the load path: a real gem wins.
module Concurrent
  # A counter with AtomicFixnum's interface, for one thread.
  class AtomicFixnum
    attr_reader :value

    def initialize(value = 0)
      @value = value
    end

    def increment(by = 1)
      @value += by
    end
  end
end
