"""Bounded search: pages of matches, and a cap on how much is examined."""

from __future__ import annotations

import json

from jobs.api.records import JobRecord
from jobs.api.search import matches, normalize, search_page


def fetcher(records: list[JobRecord], calls: list[tuple[int, int]]):  # type: ignore[no-untyped-def]
    def fetch(start: int, count: int) -> list[JobRecord]:
        calls.append((start, count))
        return records[start : start + count]

    return fetch


def make(n: int) -> list[JobRecord]:
    return [
        JobRecord(json.dumps({"class": f"Job{i % 3}", "args": [i], "jid": f"j{i}"}))
        for i in range(n)
    ]


def test_matches_class_jid_args_and_error_case_insensitively() -> None:
    record = JobRecord(
        json.dumps(
            {"class": "Mailer", "args": ["Bob@x.io"], "jid": "abc", "error_message": "SMTP down"}
        )
    )
    for query in ["mailer", "ABC", "bob@x", "smtp DOWN"]:
        assert matches(record, normalize(query))
    assert not matches(record, "nothing")


def test_search_pages_through_matches() -> None:
    records = make(3000)
    calls: list[tuple[int, int]] = []
    page = search_page(fetcher(records, calls), len(records), "Job1", offset=25, count=25)
    assert page.total == 1000
    assert [r.jid for r in page.records] == [f"j{i}" for i in range(76, 151, 3)]
    assert not page.truncated
    assert all(count <= 1000 for _, count in calls)


def test_search_stops_at_the_cap_and_says_so() -> None:
    records = make(5000)
    calls: list[tuple[int, int]] = []
    page = search_page(fetcher(records, calls), len(records), "Job0", 0, 25, limit=2000)
    assert page.truncated
    assert page.scanned == 2000
    assert sum(count for _, count in calls) == 2000


def test_empty_query_is_one_range_read() -> None:
    records = make(100)
    calls: list[tuple[int, int]] = []
    page = search_page(fetcher(records, calls), 100, "  ", 10, 20)
    assert calls == [(10, 20)]
    assert page.total == 100
    assert len(page.records) == 20
