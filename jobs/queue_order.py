"""Queue lists as Sidekiq reads them: names in strict order, or weighted random order."""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from jobs.redis import keys


class QueueConfigError(ValueError):
    """A queue entry that cannot be read."""


def parse_entry(entry: object) -> tuple[str, int | None]:
    """Read `"name"`, `"name,weight"` or `(name, weight)`; raise QueueConfigError if malformed."""
    if isinstance(entry, str):
        name, _, weight_text = entry.partition(",")
        weight: object = weight_text.strip() or None
    elif isinstance(entry, (list, tuple)) and len(entry) == 2:
        name, weight = entry
    else:
        raise QueueConfigError(
            f"queue entry {entry!r} is neither 'name', 'name,weight' nor (name, weight)"
        )
    if not isinstance(name, str) or not name.strip() or any(c.isspace() for c in name.strip()):
        raise QueueConfigError(f"queue entry {entry!r} has no usable name")
    if weight is None:
        return name.strip(), None
    if isinstance(weight, str) and weight.isdigit():
        weight = int(weight)
    if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
        raise QueueConfigError(f"queue {name!r} has weight {weight!r}; a weight is an integer >= 1")
    return name.strip(), weight


@dataclass(frozen=True)
class QueueOrder:
    """The queues a worker reads, and the order to try them in on each fetch.

    As in Sidekiq 7: without weights the order is strict (first queue always
    first); with weights each fetch draws a random order where a queue comes first
    with probability weight / total weight.
    """

    names: tuple[str, ...]
    weights: tuple[int, ...]
    weighted: bool

    @classmethod
    def from_entries(cls, entries: Iterable[object]) -> QueueOrder:
        parsed = [parse_entry(e) for e in entries]
        if not parsed:
            raise QueueConfigError("no queues given")
        names: list[str] = []
        weights: list[int] = []
        for name, weight in parsed:
            if name in names:
                raise QueueConfigError(f"queue {name!r} is listed twice")
            names.append(name)
            weights.append(weight or 1)
        weighted = any(weight is not None for _, weight in parsed)
        return cls(tuple(names), tuple(weights), weighted)

    def draw(self, rng: random.Random | None = None) -> list[str]:
        """Queue names in the order to try for one fetch."""
        if not self.weighted or len(self.names) == 1:
            return list(self.names)
        rand = (rng or random).random
        ranked = sorted(
            zip(self.names, self.weights, strict=True),
            key=lambda item: rand() ** (1.0 / item[1]),
            reverse=True,
        )
        return [name for name, _ in ranked]

    def keys(self, rng: random.Random | None = None) -> list[str]:
        """Redis list keys in the order to try for one fetch."""
        return [keys.queue(name) for name in self.draw(rng)]

    def describe(self) -> str:
        if not self.weighted:
            return ", ".join(self.names) + " (strict order)"
        pairs = (f"{n}:{w}" for n, w in zip(self.names, self.weights, strict=True))
        return ", ".join(pairs) + " (weighted)"
