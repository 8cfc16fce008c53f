"""OpenTelemetry: a request's trace continues into its jobs (enqueue and perform spans,
the context carried in the payload), checked with the SDK's in-memory exporter against
real Redis; without the package installed, nothing happens at all."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from jobs import Job, tracing
from jobs.completion import Completion
from jobs.conf import get_settings
from jobs.redis import keys
from jobs.runtime.clock import Clock
from jobs.worker.executor import Executor
from jobs.worker.stats import Counters
from tests.helpers import ROOT
from tests.testapp.tasks import add

pytest.importorskip("opentelemetry.sdk")
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

pytestmark = pytest.mark.django_db  # enqueue asks Django whether a transaction is open


class TracedJob(Job):
    """Fails while `fail` says so; `retry_in` makes the retry due at once."""

    def retry_in(self, count: int, exc: BaseException) -> float:
        return 0

    def perform(self, fail: bool) -> None:
        if fail:
            raise RuntimeError("upstream said no")


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """An SDK tracer provider for this test only (the global one is never replaced)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    yield exporter
    provider.shutdown()


def run_next(client: redis.Redis, queue: str = "default") -> Completion:
    """Pop one job from Redis and run it as a worker thread does."""
    raw = client.rpop(keys.queue(queue))
    assert isinstance(raw, bytes)
    executor = Executor(get_settings(), Counters(), Clock())
    decoded = executor.decode(raw)
    assert not isinstance(decoded, Completion)
    payload, cls = decoded
    return executor.run(raw, payload, executor.prepare(payload, cls))


def by_name(exported: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in exported if span.name == name]


def test_a_requests_trace_continues_into_its_job_and_its_retries(
    spans: InMemorySpanExporter, redis_client: redis.Redis
) -> None:
    tracer = trace.get_tracer_provider().get_tracer("test")
    with tracer.start_as_current_span("GET /signup") as request:
        jid = TracedJob.perform_async(True)
    trace_id = request.get_span_context().trace_id
    payload = json.loads(redis_client.lindex(keys.queue("default"), 0) or b"{}")
    assert payload["jid"] == jid
    assert payload[tracing.KEY]["traceparent"].split("-")[1] == f"{trace_id:032x}"

    failed = run_next(redis_client)
    assert failed.kind == "retry"
    record = json.loads(failed.member)
    assert record[tracing.KEY] == payload[tracing.KEY]  # the retry record keeps it
    redis_client.lpush(keys.queue("default"), json.dumps({**record, "args": [False]}))
    assert run_next(redis_client).kind == "ack"  # the second attempt succeeds

    exported = spans.get_finished_spans()
    (enqueue,) = by_name(exported, "enqueue tests.test_tracing.TracedJob")
    attempts = by_name(exported, "perform tests.test_tracing.TracedJob")
    assert len(attempts) == 2
    assert enqueue.parent is not None
    assert enqueue.parent.span_id == request.get_span_context().span_id
    assert enqueue.kind == trace.SpanKind.PRODUCER
    for attempt in attempts:
        assert attempt.context.trace_id == trace_id
        assert attempt.parent is not None
        assert attempt.parent.span_id == enqueue.context.span_id
        assert attempt.kind == trace.SpanKind.CONSUMER
        assert attempt.attributes is not None
        assert attempt.attributes["messaging.message.id"] == jid
    first, second = sorted(attempts, key=lambda span: span.start_time or 0)
    assert first.status.status_code == trace.StatusCode.ERROR
    assert [event.name for event in first.events] == ["exception"]
    assert second.status.status_code == trace.StatusCode.UNSET


def test_a_requests_trace_continues_into_a_django_task(
    spans: InMemorySpanExporter, redis_client: redis.Redis
) -> None:
    tracer = trace.get_tracer_provider().get_tracer("test")
    with tracer.start_as_current_span("POST /orders") as request:
        result = add.enqueue(2, 3)
    trace_id = request.get_span_context().trace_id
    [payload] = [json.loads(raw) for raw in redis_client.lrange(keys.queue("default"), 0, -1)]
    assert payload["jid"] == result.id
    assert tracing.KEY in payload
    [enqueued] = by_name(spans.get_finished_spans(), "enqueue tests.testapp.tasks.add")
    assert enqueued.context.trace_id == trace_id
    assert enqueued.kind is trace.SpanKind.PRODUCER
    assert run_next(redis_client).kind == "ack"
    [performed] = by_name(spans.get_finished_spans(), "perform tests.testapp.tasks.add")
    assert performed.context.trace_id == trace_id
    assert performed.parent is not None
    assert performed.parent.span_id == enqueued.context.span_id


def test_hostile_trace_context_is_ignored(
    spans: InMemorySpanExporter, redis_client: redis.Redis
) -> None:
    for junk in ("x" * 10_000, ["traceparent"], {"traceparent": "00-zz-yy-01"},
                 {"traceparent": "a" * 5000}, {str(i): "v" for i in range(100)}):  # fmt: skip
        assert isinstance(tracing.carried({tracing.KEY: junk}), dict)
        payload = {"class": "tests.test_tracing.TracedJob", "args": [False], "jid": "abc123",
                   "queue": "default", tracing.KEY: junk}  # fmt: skip
        redis_client.lpush(keys.queue("default"), json.dumps(payload))
        assert run_next(redis_client).kind == "ack"
    attempts = by_name(spans.get_finished_spans(), "perform tests.test_tracing.TracedJob")
    assert len(attempts) == 5
    assert all(span.parent is None for span in attempts)  # new roots, nothing borrowed


def test_bulk_enqueue_carries_one_context(spans: InMemorySpanExporter, redis_client: Any) -> None:
    TracedJob.perform_bulk([[False], [False], [False]])
    contexts = [json.loads(raw)[tracing.KEY] for raw in redis_client.lrange("queue:default", 0, -1)]
    assert len(contexts) == 3
    assert len({json.dumps(c) for c in contexts}) == 1
    (batch,) = by_name(spans.get_finished_spans(), "enqueue batch")
    assert batch.attributes is not None
    assert batch.attributes["messaging.batch.message_count"] == "3"


def test_without_opentelemetry_nothing_is_imported_or_added() -> None:
    script = (
        "import sys; sys.modules['opentelemetry'] = None\n"
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings'; django.setup()\n"
        "from jobs import tracing\n"
        "payloads = [{'class': 'X', 'args': [], 'jid': 'j', 'queue': 'q'}]\n"
        "tracing.inject(payloads)\n"
        "ran = tracing.perform(lambda job, args: ('ran', args), None, payloads[0])\n"
        "print(tracing.enabled, tracing.inject.__name__, sorted(payloads[0]), ran)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, cwd=str(ROOT))  # fmt: skip
    assert out.stdout.split("\n")[0] == (
        "False _inject_nothing ['args', 'class', 'jid', 'queue'] ('ran', [])"
    )


def test_with_the_api_but_no_sdk_configured_payloads_stay_as_they_are(
    redis_client: redis.Redis,
) -> None:
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    with trace.get_tracer("test").start_as_current_span("not recorded"):
        TracedJob.perform_async(False)
    payload = json.loads(redis_client.lindex(keys.queue("default"), 0) or b"{}")
    assert tracing.KEY not in payload
    assert run_next(redis_client).kind == "ack"
