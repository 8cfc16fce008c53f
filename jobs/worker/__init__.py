"""The worker process: launcher, manager, fetch, processor, heartbeat, poller, recovery."""
