"""The registry of runnable job classes: the only classes a payload may name."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jobs.job import Job

_registry: dict[str, type[Job]] = {}


def job_name(cls: type[Job]) -> str:
    """The name written in payloads: `name` if the class sets one, else its dotted path."""
    return cls.name or f"{cls.__module__}.{cls.__qualname__}"


def register(cls: type[Job]) -> None:
    """Register `cls`; a second, different class under the same name is an error."""
    name = job_name(cls)
    current = _registry.get(name)
    if current is not None and current is not cls:
        same_origin = (current.__module__, current.__qualname__) == (
            cls.__module__,
            cls.__qualname__,
        )
        if not same_origin:
            raise RuntimeError(
                f"job name {name!r} is taken by {current.__module__}.{current.__qualname__}; "
                f"give {cls.__module__}.{cls.__qualname__} another `name`"
            )
    _registry[name] = cls


def lookup(name: str) -> type[Job] | None:
    """Return the registered class called `name`, never importing anything."""
    return _registry.get(name)


def registered() -> dict[str, type[Job]]:
    """A copy of the registry, name -> class."""
    return dict(_registry)
