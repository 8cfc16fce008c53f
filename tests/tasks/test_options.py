"""The backend's OPTIONS: defaults, and every problem named."""

from __future__ import annotations

from jobs.tasks.options import TaskOptions, parse_options


def test_defaults() -> None:
    options = parse_options(None)
    assert options == TaskOptions()
    assert (options.RETRY, options.RESULT_TTL, options.ENQUEUE_ON_COMMIT) == (25, 86400, True)
    assert options.problems == ()


def test_given_values() -> None:
    options = parse_options({"RETRY": 0, "RESULT_TTL": 60, "ENQUEUE_ON_COMMIT": False})
    assert (options.RETRY, options.RESULT_TTL, options.ENQUEUE_ON_COMMIT) == (0, 60, False)


def test_problems_are_listed_and_defaults_kept() -> None:
    options = parse_options(
        {"RETRY": -1, "RESULT_TTL": True, "MAX_RETURN_BYTES": "big", "ENQUEUE_ON_COMMIT": 1, "X": 1}
    )
    assert options.RETRY == 25
    assert len(options.problems) == 5
    assert "unknown option OPTIONS['X']" in options.problems[-1]
    assert parse_options([]).problems == ("OPTIONS must be a dict, not list",)
