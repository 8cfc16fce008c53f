"""The worker process (`manage.py runworker`), one module per moving part.

- `launcher`: starts every part, handles signals, stops without losing a job.
- `manager`: the processor threads, the per-job timeout watchdog, the running table.
- `supply`: how a job reaches a processor thread and how it leaves (the one place
  jobs are fetched and acknowledged); its parts: `fetch` (reliable fetch, blockers),
  `buffer` (where idle threads wait), `acker` (batched acks, retry and dead moves).
- `executor`: decode one fetched job, run it, say where it goes (a Completion).
  Sidekiq's "Processor" is the thread; ours are the manager's processor threads.
- `heartbeat`: this process in Redis, in Sidekiq's format; `stats`: its counters.
- `poller`: moves due jobs from `schedule` and `retry` onto their queues, on time:
  `wakeup` is its alarm, `hints` the listener of announced due times.
- `recovery`: finds dead processes and recovers their jobs; `blame`: the job a worker
  died running alone is blamed (a poison pill to dead at last), the others go back to
  their queues or, beside a second death, become suspects; `solo`: the supply's solo
  mode, where suspects run alone; `reconcile`: strays in our own in-progress list put
  back; `predecessors`: at start, at once, the jobs of workers that died on this host,
  known dead by their `lockfile`.
- `affinity`: threads share one CPU core while jobs are short (Linux).
- `joblog`: the one INFO line per finished job, written by a thread of its own.
- `swarm`: `runworker --processes`, a supervisor forking N worker processes after
  start-up; `swarm_child`: a child from the fork to its exit; `respawn`: when a dead
  child is started again.
"""
