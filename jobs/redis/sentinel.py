"""Redis Sentinel URLs, and connections that follow the primary through a failover.

1. `redis+sentinel://[user:password@]host:port[,host:port...]/service[/db]`, with
   `?sentinel_password=...` (and `sentinel_username`) when the sentinels want their
   own login. `parse` reads it and says exactly what is wrong with a bad one.
2. `sentinel_client` builds a redis-py client whose pool asks the sentinels for
   the primary's address at every new connection (redis.sentinel), so a worker or
   a web process reconnects to the new primary by itself after a failover.
3. READONLY, NOREPLICAS and UNBLOCKED answers, as Sidekiq reads them, mean "this
   server is no longer (or not yet) the writable primary": the connection is
   dropped and the command sent once more on a new one (`FailoverError` and
   `failover_retry`). The server refused the command, so sending it again cannot
   run it twice. This holds for plain redis:// URLs too (a DNS name or proxy that
   moves to the new primary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

import redis
from redis.backoff import NoBackoff
from redis.connection import Connection, SSLConnection, UnixDomainSocketConnection
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedConnection

SCHEME = "redis+sentinel"
DEFAULT_PORT = 26379
QUERY_KEYS = ("sentinel_username", "sentinel_password")
HINT = "Use redis+sentinel://[user:password@]host:26379[,host:26380...]/service[/db]"

# As Sidekiq's redis-client adapter: these answers send the command again, once.
FAILOVER_ANSWER = re.compile(r"READONLY|NOREPLICAS|UNBLOCKED")


class FailoverError(redis.ConnectionError):
    """The server answered as one that is not the writable primary; reconnect and retry."""


@dataclass(frozen=True)
class SentinelURL:
    """What a redis+sentinel:// URL says."""

    sentinels: list[tuple[str, int]]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_username: str | None = None
    sentinel_password: str | None = None


def is_sentinel_url(url: object) -> bool:
    return isinstance(url, str) and url.lower().startswith(SCHEME + "://")


def parse(url: str) -> SentinelURL:
    """Read a redis+sentinel:// URL; ValueError says what is wrong (never echoes passwords)."""
    if not is_sentinel_url(url):
        raise ValueError(f"not a {SCHEME}:// URL")
    rest = url.split("://", 1)[1].split("#", 1)[0]
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, _, hosts = netloc.rpartition("@")
    username, password = _credentials(userinfo)
    sentinels = [_address(host) for host in hosts.split(",")]
    parts = [unquote(part) for part in path.split("/") if part]
    if not parts or len(parts) > 2:
        raise ValueError("the path must be /service or /service/db")
    if len(parts) == 2 and not (parts[1].isdigit() and int(parts[1]) < 10_000):
        raise ValueError("the database after the service name must be a number")
    extra = {key: values[-1] for key, values in parse_qs(query, keep_blank_values=True).items()}
    unknown = sorted(set(extra) - set(QUERY_KEYS))
    if unknown:
        raise ValueError(f"unknown query parameter {unknown[0]!r} (known: {', '.join(QUERY_KEYS)})")
    return SentinelURL(
        sentinels=sentinels,
        service=parts[0],
        db=int(parts[1]) if len(parts) == 2 else 0,
        username=username,
        password=password,
        sentinel_username=extra.get("sentinel_username") or None,
        sentinel_password=extra.get("sentinel_password") or None,
    )


def _credentials(userinfo: str) -> tuple[str | None, str | None]:
    if not userinfo:
        return None, None
    user, colon, password = userinfo.partition(":")
    return unquote(user) or None, (unquote(password) if colon else None) or None


def _address(host: str) -> tuple[str, int]:
    """`host`, `host:port` or `[v6]:port` of one sentinel."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\](?::(\d+))?|([^:\[\]/\s]+)(?::(\d+))?", host)
    if not host or match is None:
        raise ValueError(f"cannot read a sentinel address in {host!r}")
    name = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4) or DEFAULT_PORT)
    if not 0 < port < 65536:
        raise ValueError(f"invalid sentinel port in {host!r}")
    return name, port


def mask(url: str) -> str:
    """`url` with its passwords (the data nodes' and the sentinels') replaced by `****`."""
    head, sep, rest = url.partition("://")
    netloc, slash, tail = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":****"
    tail = re.sub(r"(sentinel_password=)[^&#]*", r"\1****", tail)
    return f"{head}{sep}{userinfo}{at}{hosts}{slash}{tail}"


def failover_answer(error: BaseException) -> bool:
    """True for an error answer that means the server is not the writable primary."""
    if isinstance(error, redis.exceptions.ReadOnlyError):
        return True
    return isinstance(error, redis.ResponseError) and bool(FAILOVER_ANSWER.search(str(error)))


def _read(connection: Any, read: Any, args: Any, kwargs: Any) -> Any:
    try:
        return read(connection, *args, **kwargs)
    except redis.ResponseError as exc:
        if not failover_answer(exc):
            raise
        connection.disconnect()  # a sentinel-managed connection asks again for the primary
        raise FailoverError(f"Redis answered {exc!r}: not the primary (any more)") from exc


class FailoverConnection(Connection):
    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        return _read(self, Connection.read_response, args, kwargs)


class FailoverSSLConnection(SSLConnection):
    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        return _read(self, SSLConnection.read_response, args, kwargs)


class FailoverUnixConnection(UnixDomainSocketConnection):
    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        return _read(self, UnixDomainSocketConnection.read_response, args, kwargs)


class FailoverSentinelConnection(SentinelManagedConnection):
    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        # Connection's reading, not SentinelManagedConnection's: that one turns READONLY
        # into a ConnectionError that would not be retried.
        return _read(self, Connection.read_response, args, kwargs)


FAILOVER_CLASSES: dict[type[Any], type[Any]] = {
    Connection: FailoverConnection,
    SSLConnection: FailoverSSLConnection,
    UnixDomainSocketConnection: FailoverUnixConnection,
}


def failover_retry() -> Retry:
    """Send a command once more after a FailoverError, at once; nothing else is retried."""
    return Retry(NoBackoff(), 1, supported_errors=(FailoverError,))


def sentinel_client(url: str, options: dict[str, Any]) -> redis.Redis:
    """A client of the primary the sentinels of `url` name, found again at each connect."""
    spec = parse(url)
    timeout = options.get("socket_connect_timeout", 5.0)
    make: Any = Sentinel  # redis-py's sentinel module has no type hints
    manager = make(
        spec.sentinels,
        sentinel_kwargs={
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "username": spec.sentinel_username,
            "password": spec.sentinel_password,
        },
    )
    client: redis.Redis = manager.master_for(
        spec.service,
        redis_class=redis.Redis,
        connection_class=FailoverSentinelConnection,
        db=spec.db,
        username=spec.username,
        password=spec.password,
        **options,
    )
    return client
