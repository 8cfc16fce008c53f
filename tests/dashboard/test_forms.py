"""Parameters are parsed and clamped, never trusted."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from jobs.dashboard.forms import ListParams, Pager, clamp_int


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("5", 5),
        ("0", 1),
        ("-3", 1),
        ("99999999999999999999999", 100),
        ("abc", 7),
        (None, 7),
        (" 8 ", 8),
        ("1e3", 7),
    ],
)
def test_clamp_int(raw: object, expected: int) -> None:
    assert clamp_int(raw, 7, 1, 100) == expected


def test_list_params() -> None:
    params = ListParams.parse(QueryDict("page=3&per_page=100000&q=%20Foo%20&order=oldest"))
    assert (params.page, params.per_page, params.query, params.newest_first) == (
        3,
        500,
        "Foo",
        False,
    )
    assert params.offset == 1000
    default = ListParams.parse(QueryDict(""), newest_first=False)
    assert (default.page, default.per_page, default.query, default.newest_first) == (
        1,
        25,
        "",
        False,
    )
    assert len(ListParams.parse(QueryDict("q=" + "x" * 5000)).query) == 200


def test_pager() -> None:
    pager = Pager(page=2, per_page=25, total=60)
    assert (pager.pages, pager.previous, pager.next, pager.first_row, pager.last_row) == (
        3,
        1,
        3,
        26,
        50,
    )
    empty = Pager(1, 25, 0)
    assert (empty.pages, empty.previous, empty.next) == (1, None, None)
