"""JobRecord reads any stored value: Sidekiq 6/7/8 payloads, Rails wrappers, garbage."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, datetime

from jobs.api.records import JobRecord, decode_backtrace, to_datetime
from tests.dashboard.seed import failed, job

RUBY_PAYLOAD = (
    '{"retry":true,"queue":"default","args":[7],"class":"FailJob","jid":"da2d90dc63b6d658d0de94ff",'
    '"created_at":1795374454.01756,"enqueued_at":1795374454.017645,"error_message":"boom 7",'
    '"error_class":"ArgumentError","failed_at":1795374454.0184832,"retry_count":0}'
)


def test_sidekiq6_float_seconds_are_read() -> None:
    record = JobRecord(RUBY_PAYLOAD, 1795374469.018523)
    assert record.ok
    assert record.klass == "FailJob"
    assert record.jid == record.id == "da2d90dc63b6d658d0de94ff"
    assert record.failed_at == datetime.fromtimestamp(1795374454.0184832, tz=UTC)
    assert record.at == datetime.fromtimestamp(1795374469.018523, tz=UTC)
    assert record.key == "1795374469.018523-da2d90dc63b6d658d0de94ff"
    assert (record.error_class, record.error_message, record.retry_count) == (
        "ArgumentError",
        "boom 7",
        0,
    )


def test_sidekiq8_integer_milliseconds_are_read_as_the_same_time() -> None:
    record = JobRecord(json.dumps(job(created_at=1795374454017, enqueued_at=1795374454017)))
    assert record.created_at == datetime.fromtimestamp(1795374454.017, tz=UTC)
    assert record.enqueued_at is not None
    assert record.enqueued_at.year == 2026


def test_garbage_is_shown_not_raised() -> None:
    for raw in [
        b"\xff\xfe not utf8",
        b"not json",
        b"[1, 2]",
        b'{"class": 5}',
        b"[" * 5000 + b"]" * 5000,
    ]:
        record = JobRecord(raw, 1.0)
        assert not record.ok
        assert record.problem
        assert record.klass == "(unreadable)"
        assert record.id.startswith("x")
        assert record.args == []
        assert isinstance(record.payload_pretty, str)
        assert isinstance(record.search_text, str)


def test_partly_valid_payload_keeps_what_can_be_read() -> None:
    record = JobRecord(json.dumps({"class": "Foo", "jid": "abc", "args": "not a list"}))
    assert not record.ok
    assert record.klass == "Foo"
    assert record.args == []


def test_hostile_jid_gets_a_digest_id() -> None:
    record = JobRecord(json.dumps(job(jid="../<b>/x")))
    assert record.jid == "../<b>/x"
    assert record.id.startswith("x")
    assert record.id.isalnum()


def test_absurd_timestamps_are_none() -> None:
    assert to_datetime(10**30) is None
    assert to_datetime("yesterday") is None
    assert to_datetime(True) is None
    assert JobRecord(json.dumps(job(created_at=float("1e300")))).created_at is None


def test_secret_arguments_are_redacted_everywhere_shown() -> None:
    payload = job(args=[{"password": "hunter2", "user": "bob", "nested": [{"api_key": "K-123"}]}])
    record = JobRecord(json.dumps(payload))
    for text in (
        record.args_preview,
        record.args_pretty,
        record.payload_pretty,
        record.search_text,
    ):
        assert "hunter2" not in text
        assert "K-123" not in text
    assert "bob" in record.args_preview
    assert record.args[0]["password"] == "hunter2"  # the stored value itself is untouched


def test_rails_activejob_wrapper_shows_the_wrapped_class_and_arguments() -> None:
    payload = job(
        **{
            "class": "Sidekiq::ActiveJob::Wrapper",
            "wrapped": "UserMailer",
            "args": [{"job_class": "UserMailer", "arguments": ["welcome", 42]}],
        }
    )
    record = JobRecord(json.dumps(payload))
    assert record.display_class == "UserMailer"
    assert record.display_args == ["welcome", 42]


def test_sidekiq_compressed_backtrace_is_decoded() -> None:
    lines = ["app/jobs/fail.rb:3:in `perform'", "sidekiq/processor.rb:196:in `execute_job'"]
    packed = base64.encodebytes(zlib.compress(json.dumps(lines).encode())).decode()
    assert "\n" in packed  # MIME base64, as Ruby's Base64.encode64 writes it
    assert JobRecord(json.dumps(failed(error_backtrace=packed))).backtrace == lines
    assert decode_backtrace(lines) == lines
    assert decode_backtrace("not base64 at all!") == ["not base64 at all!"]
    assert decode_backtrace(42) == []


def test_backtrace_bomb_is_bounded() -> None:
    bomb = base64.b64encode(zlib.compress(b"[" + b'"x",' * 5_000_000 + b'"y"]')).decode()
    lines = decode_backtrace(bomb)
    assert len(lines) == 1  # the inflated text was cut, so it is shown raw and short
    assert len(lines[0]) <= 2000
