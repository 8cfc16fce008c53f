"""The job record read from untrusted bytes: checked once, typed, and written back untouched."""

from __future__ import annotations

import json

import pytest

from jobs.exceptions import InvalidPayload
from jobs.payload import (
    JobPayload,
    dumps,
    epoch,
    loads,
    number,
    positive,
    read_retry_count,
    salvage,
    whole,
)

# As Ruby Sidekiq 7 pushes an ActiveJob: keys this app never reads must survive.
RUBY = (
    '{"retry":true,"queue":"default","wrapped":"SendReminderJob","args":[{"job_class":'
    '"SendReminderJob","arguments":[7],"_aj_globalid":"gid://app/User/7"}],"class":'
    '"Sidekiq::ActiveJob::Wrapper","jid":"4cbd0f6e3b7a1a2b3c4d5e6f","created_at":1795374454.018,'
    '"enqueued_at":1795374454.019,"bid":"b-1","tags":["é"],"retry_count":2}'
)


def test_loads_gives_a_typed_record_of_the_same_dict() -> None:
    payload = loads(RUBY.encode())
    assert isinstance(payload, JobPayload)
    assert (payload.klass, payload.jid, payload.queue) == (
        "Sidekiq::ActiveJob::Wrapper",
        "4cbd0f6e3b7a1a2b3c4d5e6f",
        "default",
    )
    assert payload.args[0]["arguments"] == [7]
    assert payload.retry_count == 2
    assert payload == json.loads(RUBY)


def test_unknown_keys_survive_a_round_trip_byte_for_byte() -> None:
    assert dumps(loads(RUBY)) == RUBY
    assert list(loads(RUBY)) == list(json.loads(RUBY))  # key order kept


def test_queue_defaults_when_absent() -> None:
    assert loads('{"class":"X","args":[],"jid":"j"}').queue == "default"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\xff{}", "not UTF-8"),
        ("[1]", "JSON list, not an object"),
        ('{"class":"X","args":[],"jid":"j"} x', "not JSON"),
        ('{"class":"X","args":[NaN],"jid":"j"}', "not JSON"),
        ('{"class":"X","args":["\\ud800"],"jid":"j"}', "lone UTF-16 surrogate"),
        ('{"class":"","args":[],"jid":"j"}', "no 'class' string"),
        ('{"class":"X","args":{},"jid":"j"}', "no 'args' list"),
        ('{"class":"X","args":[],"jid":true}', "no usable 'jid'"),
        ('{"class":"X","args":[],"jid":"' + "j" * 65 + '"}', "no usable 'jid'"),
        ('{"class":"X","args":[],"jid":"j","queue":""}', "no usable 'queue'"),
        ('{"class":"X","args":[],"jid":"j","queue":1}', "no usable 'queue'"),
    ],
)
def test_loads_refuses_what_cannot_run(text: str | bytes, message: str) -> None:
    with pytest.raises(InvalidPayload, match=message):
        loads(text)


def test_the_fast_path_and_the_full_decoder_agree() -> None:
    """A payload wrapped in whitespace misses the scanner's fast path; it reads the same."""
    text = '{"class":"X","args":[1,"\\ud83d\\ude00"],"jid":"j"}'
    assert loads(f" {text}\n") == loads(text) == {"class": "X", "args": [1, "😀"], "jid": "j"}


@pytest.mark.parametrize("value", [True, False, "3", 3.0, None])
def test_a_retry_count_that_is_not_an_integer_is_no_count(value: object) -> None:
    payload = loads(json.dumps({"class": "X", "args": [], "jid": "j", "retry_count": value}))
    assert payload.retry_count is None
    assert read_retry_count({"retry_count": value}) is None
    assert read_retry_count({"retry_count": 4}) == 4


def test_number_readers_never_take_a_boolean() -> None:
    assert [whole(v) for v in (3, True, 3.0, "3")] == [3, None, None, None]
    assert [number(v) for v in (3, 2.5, True, None)] == [3.0, 2.5, None, None]
    assert [positive(v) for v in (3, 0, -1, 0.5, True)] == [3.0, None, None, 0.5, None]
    assert [epoch(v) for v in (1_795_000_000_000, 1.5, True)] == [1_795_000_000.0, 1.5, None]


def test_salvage_keeps_what_could_be_read() -> None:
    record = salvage(
        '{"class":"Gone","args":[1],"jid":"j1","queue":"low"}', InvalidPayload("unknown job")
    )
    assert record == {
        "class": "Gone",
        "args": [1],
        "jid": "j1",
        "queue": "low",
        "retry": False,
        "error_class": "InvalidPayload",
        "error_message": "unknown job",
    }


def test_salvage_of_bytes_that_are_no_json_keeps_them_cut_short() -> None:
    record = salvage(b"\xff" + b"x" * 5000, InvalidPayload("not UTF-8"))
    assert record["class"] == "(unreadable)"
    assert record["queue"] == "default"
    assert len(record["jid"]) == 24
    assert record["raw"] == "\ufffd" + "x" * 1999
    json.loads(dumps(record))  # writable
