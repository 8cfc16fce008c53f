"""The hot-path connection (jobs/redis/lane.py) against a real Redis: replies in step,
errors as redis-py's exceptions, and no failure after the server closed an idle connection."""

from __future__ import annotations

import pytest
import redis
from redis.exceptions import NoScriptError

from jobs.redis import lane as lane_module
from jobs.redis.connection import make_client
from jobs.redis.lane import Lane
from tests.helpers import wait_for


def test_replies_come_back_in_order_as_bytes(app_redis: redis.Redis) -> None:
    lane = Lane(app_redis)
    replies = lane.call([("LPUSH", "lane:list", "a", "b"), ("LRANGE", "lane:list", 0, -1)])
    assert replies == [2, [b"b", b"a"]]
    assert lane.call([("TIME",)])[0][0].isdigit()


def test_an_error_reply_is_raised_after_every_reply_was_read(app_redis: redis.Redis) -> None:
    lane = Lane(app_redis)
    lane.call([("LPUSH", "lane:list", "a")])
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        lane.call([("GET", "lane:list"), ("LPUSH", "lane:list", "b")])
    # The command after the error ran, and the connection is still in step.
    assert lane.call([("LLEN", "lane:list")]) == [2]
    with pytest.raises(NoScriptError):
        lane.call([("EVALSHA", "0" * 40, 0), ("LLEN", "lane:list")])
    assert lane.call([("LLEN", "lane:list")]) == [2]


def test_a_socket_timeout_is_a_redis_timeout_and_the_next_call_reconnects(
    redis_url: str, redis_client: redis.Redis
) -> None:
    client = make_client(redis_url, socket_timeout=0.2)
    lane = Lane(client)
    with pytest.raises(redis.TimeoutError):
        lane.call([("BLMOVE", "lane:empty", "lane:other", "RIGHT", "LEFT", 2)])
    assert lane.call([("LLEN", "lane:list")]) == [0]
    client.close()


def test_an_idle_connection_closed_by_the_server_is_replaced_before_use(
    app_redis: redis.Redis, redis_client: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lane_module, "IDLE_CHECK_AFTER", 0.0)
    lane = Lane(app_redis)
    lane.call([("LPUSH", "lane:list", "a")])
    sock = lane._sock
    assert sock is not None
    host, port = sock.getsockname()[:2]
    assert redis_client.client_kill(f"{host}:{port}")
    wait_for(
        lambda: lane_module._closed_by_peer(sock), 5, interval=0.01, what="the close to arrive"
    )
    # Without the check this LPUSH would go out on the dead socket and fail.
    assert lane.call([("LPUSH", "lane:list", "b")]) == [2]
    assert lane._sock is not sock


def test_a_close_from_another_thread_before_the_read_is_a_connection_error(
    app_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop cuts a blocked BLMOVE short with close() (jobs/worker/fetch.py); landing
    between the send and the read, it once killed the thread with an AttributeError."""
    lane = Lane(app_redis)
    ready = lane._ready

    def closed_just_after_the_send() -> object:
        sock = ready()
        monkeypatch.setattr(lane, "_read", _closing(lane, lane._read))
        return sock

    monkeypatch.setattr(lane, "_ready", closed_just_after_the_send)
    with pytest.raises(redis.ConnectionError, match="closed while waiting"):
        lane.call([("PING",)])
    monkeypatch.undo()
    assert lane.call([("PING",)]) == [b"PONG"]  # the next call reconnects


def _closing(lane: Lane, read: object) -> object:
    def read_after_close(*args: object) -> object:
        lane.close()
        return read(*args)  # type: ignore[operator]

    return read_after_close
