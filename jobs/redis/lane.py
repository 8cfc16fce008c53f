"""A thread's own Redis connection for the hot paths: enqueue, and ack-and-fetch.

Both are one round trip of a few commands (SADD + LPUSH to enqueue; LREM of the
job just finished + LMOVE of the next in the worker). redis-py opens the
connection (AUTH, SELECT, TLS, timeouts, as the URL says); after that the lane
writes packed commands to the socket and reads the replies with a hiredis
reader of its own. That costs about 15 us of Python per round trip instead of
60-80 us through redis-py's pool and pipeline objects (and 7-13 us less than
redis-py's own connection reading); on a 2-core machine that is the difference
between keeping up with Sidekiq and not.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from typing import Any

import hiredis
import redis
from redis._parsers.base import BaseParser
from redis.exceptions import InvalidResponse

from jobs.redis import sentinel

# A connection unused for longer than this is checked for a close by the server
# (its `timeout` setting, a proxy, a NAT) before a command goes out on it.
IDLE_CHECK_AFTER = 2.0

_pack = hiredis.pack_command


def _reply_error(message: str) -> redis.ResponseError:
    """The exception redis-py would raise for this error reply (NoScriptError, ...)."""
    parse: Any = BaseParser.parse_error
    error: redis.ResponseError = parse(message)
    return error


class Lane:
    """Send a few commands as one round trip and read their replies, nothing else."""

    def __init__(self, client: redis.Redis) -> None:
        self._client = client
        # Built outside the pool: a lane is owned by its thread, and must not count
        # against the pool's max_connections (replacement threads make new lanes).
        pool = client.connection_pool
        self._conn: Any = pool.connection_class(**pool.connection_kwargs)
        self._sock: socket.socket | None = None
        self._reader: Any = None
        self._buffer = bytearray(65536)
        self._used_at = 0.0
        self.pid = os.getpid()  # a lane must never cross a fork: the socket would be shared

    def call(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Send `commands` in one write, read every reply; raise the first error reply.

        Every reply is read before an error reply is raised, so the connection stays
        in step. Any other failure closes the connection (reconnected on the next
        call), so a half-read reply can never be taken for the answer to a later one.
        Socket failures come out as redis.ConnectionError / redis.TimeoutError.
        A READONLY, NOREPLICAS or UNBLOCKED answer (a failover: the server refused the
        write) closes the connection and sends the commands once more on a new one,
        to the new primary (jobs/redis/sentinel.py).
        """
        replies = self.replies(commands)
        for reply in replies:
            if isinstance(reply, redis.ResponseError):
                raise reply
        return replies

    def replies(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """As call(), but an error reply comes back in its place (a ResponseError) unraised."""
        replies = self._round_trip(commands)
        for reply in replies:
            if isinstance(reply, redis.ResponseError) and sentinel.failover_answer(reply):
                self.close()
                return self._round_trip(commands)
        return replies

    def _round_trip(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        try:
            sock = self._ready()
            sock.sendall(b"".join([_pack(command) for command in commands]))
            replies = self._read(sock, len(commands))
        except BaseException as exc:
            self.close()
            if isinstance(exc, socket.timeout):
                raise redis.TimeoutError(f"Timeout reading from socket: {exc}") from exc
            if isinstance(exc, OSError):
                raise redis.ConnectionError(f"Error while talking to Redis: {exc}") from exc
            raise
        return replies

    def _ready(self) -> socket.socket:
        """The connected socket; a new connection (with its handshake) when needed."""
        sock = self._sock
        now = time.monotonic()
        if sock is not None and now - self._used_at > IDLE_CHECK_AFTER and _closed_by_peer(sock):
            self.close()
            sock = None
        if sock is None:
            self._conn.connect()  # AUTH, SELECT, CLIENT SETINFO, timeouts: redis-py's job
            sock = self._sock = self._conn._sock
            self._reader = hiredis.Reader(protocolError=InvalidResponse, replyError=_reply_error)
        self._used_at = now
        assert sock is not None
        return sock

    def _read(self, sock: socket.socket, count: int) -> list[Any]:
        reader, buffer = self._reader, self._buffer
        if reader is None:  # close() from another thread (a stop cutting a BLMOVE short)
            raise redis.ConnectionError("Connection closed while waiting for a reply.")
        replies: list[Any] = []
        while len(replies) < count:
            reply = reader.gets()
            if reply is False:
                received = sock.recv_into(buffer)
                if not received:
                    raise redis.ConnectionError("Connection closed by server.")
                reader.feed(buffer, 0, received)
                continue
            replies.append(reply)
        return replies

    def load_script(self, source: str) -> str:
        """SCRIPT LOAD on this connection's server; return the sha."""
        sha = self.call([("SCRIPT", "LOAD", source)])[0]
        return sha.decode() if isinstance(sha, bytes) else str(sha)

    def close(self) -> None:
        self._sock = None
        self._reader = None
        self._conn.disconnect()


def _closed_by_peer(sock: socket.socket) -> bool:
    """True if the server closed this idle connection (or anything is waiting on it)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    try:
        events = poller.poll(0)
    except OSError:
        return True
    # Nothing should arrive on an idle connection: readable means EOF, a reset, or junk.
    return bool(events)


_lanes = threading.local()


def thread_lane(client: redis.Redis) -> Lane:
    """This thread's lane to `client`'s server (a new one after a fork or for another client)."""
    lanes: dict[int, Lane] | None = getattr(_lanes, "by_client", None)
    if lanes is None:
        lanes = _lanes.by_client = {}
    lane = lanes.get(id(client))
    if lane is None or lane.pid != os.getpid() or lane._client is not client:
        lane = lanes[id(client)] = Lane(client)
    return lane
