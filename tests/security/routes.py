"""Every route of the dashboard, walked from the URLconf, and what each one reads.

The security suite is the one place that enumerates the routes: `ROUTES` comes from the
resolver, so a route added to jobs/urls.py is walked by every check at once. What a
route needs to be exercised is listed here, and test_routes.py fails for a route (or a
query parameter, or a form field) this catalog does not know yet:

- `READS`: the query parameters a page reads, the form fields an action reads (checked
  against what the views really read, recorded by `recording_reads`);
- `NUMERIC`: which of them are numbers (test_params.py gives them hostile numbers);
- `EXAMPLES`: real values for a route's URL converters, from what is seeded in Redis;
- `FORMS`: for each action, requests that really change Redis in the plain world, so a
  refused request is known to have been refused, not merely ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from django.http import HttpRequest, QueryDict
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from jobs.api import SortedJobSet
from jobs.api.queues import valid_name
from jobs.api.triage import group_id, mask
from jobs.dashboard.converters import SETS
from jobs.dashboard.views.base import DashboardView
from tests.dashboard.seed import add, failed, job, process, push

SAMPLES = {"name": "default", "jobset": "retries", "key": "1.5-abc"}
JOBSETS = tuple(SETS)
SET_KEYS = {slug: info.key for slug, info in SETS.items()}


@dataclass(frozen=True)
class Route:
    """One URL pattern of the dashboard."""

    name: str
    route: str
    view_class: type[DashboardView]
    converters: tuple[str, ...]

    @property
    def acts(self) -> bool:
        """Whether it changes state (takes POST only)."""
        return "post" in self.view_class.http_method_names

    def url(self, **kwargs: str) -> str:
        """Its URL, with `kwargs` for the converters (samples for the rest)."""
        params = {name: kwargs.get(name, SAMPLES[name]) for name in self.converters}
        return reverse(f"jobs:{self.name}", kwargs=params)


def dashboard_resolver() -> URLResolver:
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "jobs":
            return entry
    raise AssertionError("jobs.urls is not included in the project's URLconf")


def walk() -> list[Route]:
    """Every route of jobs.urls, in order."""
    found: list[Route] = []
    for pattern in dashboard_resolver().url_patterns:
        assert isinstance(pattern, URLPattern), "jobs.urls nests an include: walk it too"
        view_class = pattern.callback.view_class  # type: ignore[attr-defined]
        converters = tuple(pattern.pattern.converters)
        found.append(Route(str(pattern.name), str(pattern.pattern), view_class, converters))
    return found


ROUTES = walk()
PAGES = [route for route in ROUTES if not route.acts]
ACTIONS = [route for route in ROUTES if route.acts]


def ids(routes: list[Route]) -> list[str]:
    return [route.name for route in routes]


LIST = ("order", "page", "per_page", "q")
READS: dict[str, tuple[str, ...]] = {
    "index": ("days", "interval"),
    "stats_json": ("days",),
    "metrics": (),
    "busy": LIST,
    "queues": (),
    "queue": LIST,
    "recurring": (),
    "job_metrics": ("hours",),
    "limits": (),
    "set": LIST,
    "set_groups": (),
    "job": (),
    "find": ("jid",),
    "busy_signal": ("identity", "next", "signal"),
    "queue_clear": ("job", "next", "queue"),
    "queue_delete": ("job", "next", "queue"),
    "queue_pause": ("job", "next", "queue"),
    "queue_resume": ("job", "next", "queue"),
    "set_action": ("action", "key", "next", "q", "scope"),
    "set_group_action": ("action", "group", "next"),
    "recurring_enqueue": ("name", "next"),
    "recurring_disable": ("name", "next"),
    "recurring_enable": ("name", "next"),
}
NUMERIC = {"page", "per_page", "interval", "days", "hours"}


def queue_examples(app: redis.Redis) -> list[dict[str, str]]:
    names = sorted(raw.decode("utf-8", "replace") for raw in app.smembers("queues"))  # type: ignore[union-attr]
    return [{"name": name} for name in names if valid_name(name)] or [{"name": "default"}]


def set_examples(app: redis.Redis) -> list[dict[str, str]]:
    return [{"jobset": slug} for slug in JOBSETS]


def failure_set_examples(app: redis.Redis) -> list[dict[str, str]]:
    return [{"jobset": slug} for slug in JOBSETS if slug != "scheduled"]


def job_examples(app: redis.Redis, limit: int = 1000) -> list[dict[str, str]]:
    found = [{"jobset": "dead", "key": "1.5-gone"}]  # a key that finds nothing: 404
    for slug, key in SET_KEYS.items():
        for record in SortedJobSet(app, key).page(0, limit, True).records:
            found.append({"jobset": slug, "key": record.key})
    return found


# Values for the converters of a route's URL, from what is in Redis, read with the
# dashboard's API as the application reads them: give them the ACL user's `app_redis`.
EXAMPLES: dict[str, Callable[[redis.Redis], list[dict[str, str]]]] = {
    "queue": queue_examples,
    "set": set_examples,
    "job": job_examples,
    "set_action": set_examples,
    "set_groups": failure_set_examples,
    "set_group_action": failure_set_examples,
}


def examples(route: Route, app: redis.Redis) -> list[dict[str, str]]:
    """Converter values for every URL of `route` worth visiting ([{}] without converters).

    `app` is the application's client (`app_redis`, the ACL user): the dashboard's API reads.
    """
    if not route.converters:
        return [{}]
    return EXAMPLES[route.name](app)


def find_queries(app: redis.Redis) -> list[str]:
    """The find page for jids with a history, one in a set, one unknown, one not a jid."""
    index = app.lrange("jobs:history", 0, 99)  # entries: <bucket start>:<jid> or <jid>
    jids = [raw.decode().rpartition(":")[2] for raw in index]  # type: ignore[union-attr]
    for key in SET_KEYS.values():
        jids += [r.jid for r in SortedJobSet(app, key).page(0, 2, True).records if r.id == r.jid]
    return [f"jid={jid}" for jid in [*jids, "0" * 24]] + ["jid=%3Cscript%3E"]


# Query strings that show a route's pages for what is in Redis (beside its converters').
QUERIES: dict[str, Callable[[redis.Redis], list[str]]] = {"find": find_queries}


def urls(route: Route, app: redis.Redis) -> list[str]:
    found = [route.url(**kwargs) for kwargs in examples(route, app)]
    queries = QUERIES[route.name](app) if route.name in QUERIES else []
    return found + [f"{found[0]}?{query}" for query in queries]


# -- the plain world: real jobs, a process and recurring entries, without hostility --------

SCHEDULE = {
    "on": {"every": "1h", "class": "tests.testapp.jobs.RecordJob", "args": ["on"]},
    "off": {"every": "1h", "class": "tests.testapp.jobs.RecordJob", "enabled": False},
}
IDENTITY = "web.1:4242:0123456789ab"
LEAK = "leak-7f3a9c"  # in every value seeded: a refused response must never contain it


@dataclass
class World:
    """What `seed_plain` wrote, by name."""

    queue_jids: list[str] = field(default_factory=list)
    set_keys: dict[str, list[str]] = field(default_factory=dict)
    identity: str = IDENTITY


def seed_plain(r: redis.Redis, app: redis.Redis, settings: Any, size: int = 3) -> World:
    """A queue, each sorted set, a live process and two recurring entries.

    `r` (the admin's `redis_client`) writes them; `app` (`app_redis`, the ACL user) reads
    the jobs' keys back with the dashboard's API.
    """
    world = World()
    now = time.time()
    for i in range(size):
        payload = job(args=[f"{LEAK}-arg-{i}", {"note": LEAK}], queue="default")
        payload["class"] = f"myapp.jobs.{LEAK.replace('-', '_')}Job"
        push(r, "default", payload)
        world.queue_jids.append(payload["jid"])
    push(r, LEAK, job(queue=LEAK))
    r.sadd("jobs:paused", LEAK)  # a paused queue (the Resume button's)
    for slug, key in SET_KEYS.items():
        for i in range(size):
            add(r, key, failed(args=[LEAK, i], error_message=f"{LEAK} boom"), now + 3600 + i)
        records = SortedJobSet(app, key).page(0, size, True).records
        world.set_keys[slug] = [rec.key for rec in records]
    process(r, IDENTITY, busy=1, running=[job(args=[LEAK])], hostname=f"{LEAK}.example", tag=LEAK)
    r.set("stat:processed", 4242)
    settings.JOBS = {**settings.JOBS, "SCHEDULE": SCHEDULE}
    return world


# Requests that change Redis in the plain world: (URL kwargs, form data) per action.
Form = tuple[dict[str, str], dict[str, Any]]
NEXT = {"next": "/admin/jobs/busy/"}


def set_forms(world: World) -> list[Form]:
    forms: list[Form] = []
    for slug in JOBSETS:
        first, second, third = world.set_keys[slug][:3]
        forms += [
            ({"jobset": slug}, {"action": "delete", "key": first, **NEXT}),
            ({"jobset": slug}, {"action": "enqueue", "key": [second, third], **NEXT}),
            ({"jobset": slug}, {"action": "delete", "scope": "all", "q": "", **NEXT}),
        ]
        if SETS[slug].can_kill:
            forms.append(({"jobset": slug}, {"action": "kill", "key": first, **NEXT}))
    return forms


def group_forms(world: World) -> list[Form]:
    group = group_id("ValueError", mask(f"{LEAK} boom"))  # what seed_plain's failures share
    forms: list[Form] = []
    for slug in ("retries", "dead"):
        forms.append(({"jobset": slug}, {"action": "enqueue", "group": group, **NEXT}))
        forms.append(({"jobset": slug}, {"action": "delete", "group": group, **NEXT}))
    forms.append(({"jobset": "retries"}, {"action": "kill", "group": group, **NEXT}))
    return forms


FORMS: dict[str, Callable[[World], list[Form]]] = {
    "busy_signal": lambda w: [
        ({}, {"identity": w.identity, "signal": "quiet", **NEXT}),
        ({}, {"identity": "*", "signal": "stop", **NEXT}),
    ],
    "queue_clear": lambda w: [({}, {"queue": "default", **NEXT})],
    "queue_delete": lambda w: [({}, {"queue": "default", "job": w.queue_jids[0], **NEXT})],
    "queue_pause": lambda w: [({}, {"queue": "default", **NEXT})],
    "queue_resume": lambda w: [({}, {"queue": LEAK, **NEXT})],
    "set_action": set_forms,
    "set_group_action": group_forms,
    "recurring_enqueue": lambda w: [({}, {"name": "on", **NEXT})],
    "recurring_disable": lambda w: [({}, {"name": "on", **NEXT})],
    "recurring_enable": lambda w: [({}, {"name": "off", **NEXT})],
}


# -- what the views read ----------------------------------------------------------------


class RecordingQueryDict(QueryDict):
    """A QueryDict that remembers every key looked up by name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def getlist(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


@contextmanager
def recording_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Names a dashboard view reads from request.GET and request.POST while inside."""
    read: set[str] = set()
    seen: list[RecordingQueryDict] = []
    original = DashboardView.setup

    def setup(self: DashboardView, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        for attribute in ("GET", "POST"):
            data = getattr(request, attribute)
            recording = RecordingQueryDict(mutable=True, encoding=data.encoding)
            for key, values in data.lists():
                recording.setlist(key, values)
            recording._mutable = False
            seen.append(recording)
            setattr(request, attribute, recording)
        original(self, request, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(DashboardView, "setup", setup)
        yield read
        for recording in seen:
            read.update(recording.read)
