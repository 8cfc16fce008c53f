"""OpenTelemetry spans for enqueue and perform, when `opentelemetry-api` is installed.

1. `inject(payloads)` (jobs.client, at enqueue) records a short PRODUCER span as a child
   of whatever span is current (a request's, say) and writes its trace context into
   each payload under `trace_context`: a key Sidekiq carries through untouched, into
   retry and dead records too, so every attempt joins the same trace.
2. `perform(run, job, payload)` (jobs.worker.executor) runs the job inside a CONSUMER
   span whose parent is the context the payload carries; an exception is recorded on
   it and raised again.
3. Without the package, both are plain functions that do nothing more than call
   through: no import, no allocation. With the API but no SDK configured (no
   TracerProvider set), they check that and call through too: the API's no-op spans
   would cost tens of microseconds a job for nothing. Which TracerProvider and
   exporter receive the spans is the project's choice (the SDK, set up at start-up).

The carried context comes from Redis and is untrusted: only a small dict of short
strings is handed to the propagator, which parses it defensively.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from jobs.exceptions import Discard
from jobs.payload import display_name

if TYPE_CHECKING:
    from jobs.job import Job

KEY = "trace_context"
MAX_FIELDS = 8
MAX_CHARS = 512
Run = Callable[["Job", list[Any]], Any]

try:
    from opentelemetry import propagate, trace
except ImportError:  # pragma: no cover  (the package is optional)
    trace = None  # type: ignore[assignment]

enabled = trace is not None


def carried(payload: Mapping[str, Any]) -> dict[str, str]:
    """The trace context a payload carries, if it is a small dict of short strings."""
    value = payload.get(KEY)
    if not isinstance(value, dict) or len(value) > MAX_FIELDS:
        return {}
    return {
        key: item
        for key, item in value.items()
        if isinstance(key, str) and isinstance(item, str) and len(key) + len(item) <= MAX_CHARS
    }


def _attributes(payload: Mapping[str, Any]) -> dict[str, str]:
    jid, queue = payload.get("jid"), payload.get("queue", "default")
    return {
        "messaging.system": "sidekiq",
        "messaging.destination.name": queue if isinstance(queue, str) else "",
        "messaging.message.id": jid if isinstance(jid, str) else "",
        "code.function": display_name(payload),
    }


_last: list[Any] = [None, None]  # [provider, its "jobs" tracer or None]: looked up once each


def _tracer() -> Any:
    """The "jobs" tracer of the configured provider, None while none is configured.

    Asked per job: the answer is remembered per provider object (a project that sets
    its provider later gets a new lookup), so a worker without an SDK pays a call and
    one identity test.
    """
    provider = trace.get_tracer_provider()
    last = _last
    if provider is last[0]:
        return last[1]
    noop = isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))
    tracer = None if noop else provider.get_tracer("jobs")
    last[0], last[1] = provider, tracer
    return tracer


def _inject(payloads: list[dict[str, Any]]) -> None:
    tracer = _tracer()
    if tracer is None:
        return
    name = display_name(payloads[0]) if len(payloads) == 1 else "batch"
    attributes = _attributes(payloads[0]) if len(payloads) == 1 else {"messaging.system": "sidekiq"}
    if len(payloads) > 1:
        attributes["messaging.batch.message_count"] = str(len(payloads))
    with tracer.start_as_current_span(
        f"enqueue {name}", kind=trace.SpanKind.PRODUCER, attributes=attributes
    ):
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
    if carrier:
        for payload in payloads:
            payload[KEY] = carrier


def _perform(run: Run, job: Job, payload: Mapping[str, Any]) -> Any:
    tracer = _tracer()
    if tracer is None:
        return run(job, payload["args"])
    parent = propagate.extract(carried(payload))
    with tracer.start_as_current_span(
        f"perform {display_name(payload)}",
        context=parent,
        kind=trace.SpanKind.CONSUMER,
        attributes=_attributes(payload),
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            return run(job, payload["args"])
        except Discard:
            raise  # the job chose to stop: not an error
        except BaseException as exc:
            span.record_exception(exc)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__qualname__))
            raise


def _inject_nothing(payloads: list[dict[str, Any]]) -> None:
    """Without OpenTelemetry: nothing to carry."""


def _perform_plainly(run: Run, job: Job, payload: Mapping[str, Any]) -> Any:
    """Without OpenTelemetry: run the job."""
    return run(job, payload["args"])


inject: Callable[[list[dict[str, Any]]], None] = _inject if enabled else _inject_nothing
perform: Callable[[Run, Job, Mapping[str, Any]], Any] = _perform if enabled else _perform_plainly
