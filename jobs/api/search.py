"""Bounded search over a ranked collection of jobs (a queue list or a sorted set).

A search reads the collection in display order, one batch per Redis call, and stops
after SEARCH_SCAN_LIMIT jobs: a page never waits on a million-entry set. The result
says when the cap was hit, so the screen can say the search was partial.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jobs.api.records import JobRecord

BATCH = 1000
SEARCH_SCAN_LIMIT = 25_000
MAX_QUERY = 200

# fetch(start, count) -> the jobs at ranks start .. start + count - 1, in display order.
RangeFetcher = Callable[[int, int], list[JobRecord]]


@dataclass(frozen=True)
class JobPage:
    """One page of jobs, and how it was found."""

    records: list[JobRecord]
    total: int  # jobs in the collection, or matches found when searching
    scanned: int  # jobs examined (equal to `total` without a search)
    truncated: bool  # the search stopped at the cap before the end
    query: str = ""


def normalize(query: str) -> str:
    """The search needle: stripped, lower-cased, of bounded length."""
    return query.strip()[:MAX_QUERY].lower()


def matches(record: JobRecord, needle: str) -> bool:
    """Whether `record` contains `needle` in its class, jid, queue, error or args."""
    return not needle or needle in record.search_text


def plain_page(fetch: RangeFetcher, total: int, offset: int, count: int) -> JobPage:
    """A page without a search: one range read."""
    records = fetch(offset, count) if offset < total else []
    return JobPage(records, total, total, False)


def search_page(
    fetch: RangeFetcher,
    size: int,
    query: str,
    offset: int,
    count: int,
    limit: int = SEARCH_SCAN_LIMIT,
) -> JobPage:
    """Matches of `query` at positions offset .. offset + count - 1, scanning at most `limit`."""
    needle = normalize(query)
    if not needle:
        return plain_page(fetch, size, offset, count)
    found: list[JobRecord] = []
    total = scanned = 0
    while scanned < min(size, limit):
        batch = fetch(scanned, min(BATCH, limit - scanned))
        if not batch:
            break
        scanned += len(batch)
        for record in batch:
            if matches(record, needle):
                if offset <= total < offset + count:
                    found.append(record)
                total += 1
    return JobPage(found, total, scanned, scanned < size, query.strip()[:MAX_QUERY])
