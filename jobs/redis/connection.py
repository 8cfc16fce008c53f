"""One Redis client per process and URL, plus Redis-server time and URL masking.

Every client of the app is made here (`make_client`): redis://, rediss://, unix://
and redis+sentinel:// URLs (jobs/redis/sentinel.py), all with connections that
reconnect and send a command once more when Redis answers READONLY, NOREPLICAS
or UNBLOCKED (a failover happened under them).
"""

from __future__ import annotations

import os
import threading
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.connection import Connection, parse_url

from jobs.conf import get_settings
from jobs.redis import sentinel

_lock = threading.Lock()
_clients: dict[tuple[int, str], redis.Redis] = {}

# Socket timeouts: a stalled Redis must not hang a thread forever. Blocking
# commands pass their own, longer timeout on top of this.
SOCKET_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0


def make_client(url: str, **kwargs: object) -> redis.Redis:
    """Build a client for `url` with this app's timeouts (bytes in, bytes out)."""
    options: dict[str, object] = {
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        "health_check_interval": 30,
        "socket_keepalive": True,
        "retry": sentinel.failover_retry(),
    }
    options.update(kwargs)
    if sentinel.is_sentinel_url(url):
        return sentinel.sentinel_client(url, options)
    read_url: Any = parse_url  # untyped in redis-py
    plain = read_url(url).get("connection_class", Connection)
    options.setdefault("connection_class", sentinel.FAILOVER_CLASSES.get(plain, plain))
    return redis.Redis.from_url(url, **options)


def get_redis(url: str | None = None) -> redis.Redis:
    """Return the shared, thread-safe client of this process for `url` (default REDIS_URL)."""
    url = url or get_settings().REDIS_URL
    key = (os.getpid(), url)
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                client = make_client(url)
                _clients[key] = client
    return client


def reset_clients() -> None:
    """Forget every cached client (tests that switch Redis servers call this)."""
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def server_time(client: redis.Redis) -> float:
    """Redis server's clock as epoch seconds: the one clock all processes share."""
    seconds, micros = cast(tuple[int, int], client.time())
    return float(seconds) + micros / 1_000_000


def mask_url(url: str) -> str:
    """Return `url` with any password replaced by `****`, for logs and banners."""
    if sentinel.is_sentinel_url(url):
        return sentinel.mask(url)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    netloc = f"{user}:****@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
