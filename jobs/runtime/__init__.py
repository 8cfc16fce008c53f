"""What every long-running thread of a worker process shares, below the worker and recurring.

- `clock`: local time corrected to the Redis server's (`Clock`).
- `health`: one log line per Redis outage for the whole process (`RedisHealth`), and
  the capped exponential wait between retries (`Backoff`, `BACKOFF_CAP`).
- `loop`: the Redis-resilient loop those threads run (`redis_loop`): outages are
  waited out with backoff, bugs end the thread or are logged, as the caller says.

Nothing here imports from `jobs.worker` or `jobs.recurring`: both build on it.
"""
