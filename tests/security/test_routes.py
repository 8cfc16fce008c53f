"""The walk is complete: every route, parameter and form field is known to the suite."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.test import Client

from jobs.dashboard.views.base import ActionView, DashboardView
from tests.figures import Reporter
from tests.security.routes import (
    ACTIONS,
    EXAMPLES,
    FORMS,
    NUMERIC,
    PAGES,
    READS,
    ROUTES,
    World,
    examples,
    ids,
    recording_reads,
)


def test_the_catalog_knows_every_route_of_the_urlconf(figures: Reporter) -> None:
    names = [route.name for route in ROUTES]
    assert len(names) == len(set(names)), "two routes share a name"
    unknown = set(names) - set(READS)
    assert not unknown, (
        f"new routes: list what they read in tests/security/routes.py READS: {unknown}"
    )
    assert not set(READS) - set(names), "READS lists routes that are gone"
    with_converters = {route.name for route in ROUTES if route.converters}
    assert with_converters <= set(EXAMPLES), "a route with URL arguments needs EXAMPLES"
    assert {route.name for route in ACTIONS} == set(FORMS), "every action needs FORMS"
    assert {"index", "busy", "queues", "queue", "set", "job", "recurring"} <= set(names)
    assert {"stats_json", "metrics", "busy_signal", "queue_clear", "set_action"} <= set(names)
    figures(
        "route walk",
        routes=len(ROUTES),
        pages=len(PAGES),
        actions=len(ACTIONS),
        parameters=sum(len(READS[route.name]) for route in PAGES),
        form_fields=sum(len(READS[route.name]) for route in ACTIONS),
        numeric=len(NUMERIC),
    )


@pytest.mark.parametrize("route", ROUTES, ids=ids(ROUTES))
def test_every_route_goes_through_the_one_gate(route: Any) -> None:
    assert issubclass(route.view_class, DashboardView)
    # Pages take GET and HEAD only, actions POST only: nothing else is routed.
    if route.acts:
        assert issubclass(route.view_class, ActionView)
        assert route.view_class.http_method_names == ["post"]
    else:
        assert route.view_class.http_method_names == ["get", "head"]


def test_what_the_views_read_is_what_the_catalog_lists(
    staff_client: Client,
    plain: World,
    monkeypatch: pytest.MonkeyPatch,
    figures: Reporter,
    app_redis: redis.Redis,
) -> None:
    read_by: dict[str, set[str]] = {}
    everything = {name: "2" for name in {n for names in READS.values() for n in names}}
    for route in PAGES:
        with recording_reads(monkeypatch) as read:
            for kwargs in examples(route, app_redis)[:3]:
                for query in ({}, everything):
                    assert staff_client.get(route.url(**kwargs), query).status_code in (200, 404)
        read_by[route.name] = read
    for route in ACTIONS:
        with recording_reads(monkeypatch) as read:
            for kwargs, data in FORMS[route.name](plain):
                assert staff_client.post(route.url(**kwargs), data).status_code == 302
        read_by[route.name] = read
    wrong = {
        name: sorted(read)
        for name, read in read_by.items()
        if read != set(READS[name])
    }  # fmt: skip
    assert not wrong, f"update READS in tests/security/routes.py: {wrong}"
    figures("reads recorded", routes=len(read_by), names=sum(map(len, read_by.values())))
