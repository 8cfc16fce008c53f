"""Recurring jobs: JOBS["SCHEDULE"] entries run by every worker, each tick enqueued once.

- `schedule`: read and check the entries; `times`: when their ticks fall (cron,
  every, DST); `words`: schedules in words.
- `runner`: the thread each worker runs; `store`: the entry state in Redis;
  `status`: what became of each entry's last job.
- `api`: read/act functions for the dashboard and scripts; `checks`: system check.
"""
