"""Small bar charts drawn on the server as inline SVG geometry (no script, no CDN).

A series of counts (oldest first) becomes at most MAX_BARS bars, neighbours summed,
scaled to a fixed box; the template draws them as <rect>s. Only numbers computed
here reach the SVG, so nothing from Redis is ever written into it as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 240
HEIGHT = 40
MAX_BARS = 72


@dataclass(frozen=True)
class Bar:
    """One bar: runs in full height, failures as the part drawn over its bottom."""

    x: float
    width: float
    runs_y: float
    runs_height: float
    failures_y: float
    failures_height: float


def group(series: list[int], bars: int) -> list[int]:
    """`series` summed into `bars` groups of neighbours (the last may be shorter)."""
    if len(series) <= bars:
        return list(series)
    size = -(-len(series) // bars)
    return [sum(series[i : i + size]) for i in range(0, len(series), size)]


def bars(runs: list[int], failures: list[int], max_bars: int = MAX_BARS) -> list[Bar]:
    """Bars of `runs` with `failures` inside them, scaled to WIDTH x HEIGHT."""
    runs, failures = group(runs, max_bars), group(failures, max_bars)
    if not runs:
        return []
    top = max(*runs, 1)
    step = WIDTH / len(runs)
    drawn: list[Bar] = []
    for i, (ran, failed) in enumerate(zip(runs, failures, strict=True)):
        runs_height = HEIGHT * min(ran, top) / top
        failures_height = HEIGHT * min(failed, ran, top) / top
        drawn.append(
            Bar(
                x=round(i * step, 2),
                width=round(max(step - 1, 1), 2),
                runs_y=round(HEIGHT - runs_height, 2),
                runs_height=round(runs_height, 2),
                failures_y=round(HEIGHT - failures_height, 2),
                failures_height=round(failures_height, 2),
            )
        )
    return drawn
