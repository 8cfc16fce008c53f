"""Registries of the classes a payload may name: jobs, and mailers (jobs.mail).

A payload read from Redis is untrusted: it can only pick among classes registered
here, by name, and never makes anything be imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from jobs.job import Job


C = TypeVar("C", bound=type)


class Registry(Generic[C]):
    """Classes by the name written in payloads."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._classes: dict[str, C] = {}

    @staticmethod
    def name_of(klass: type) -> str:
        """The class's `name` if it sets one, else its dotted path."""
        name = getattr(klass, "name", None)
        return (
            name if isinstance(name, str) and name else f"{klass.__module__}.{klass.__qualname__}"
        )

    def register(self, cls: C) -> None:
        """Register `cls`; a second, different class under the same name is an error."""
        name = self.name_of(cls)
        current = self._classes.get(name)
        if current is not None and current is not cls:
            origin = (current.__module__, current.__qualname__)
            if origin != (cls.__module__, cls.__qualname__):  # not a re-import of the same class
                raise RuntimeError(
                    f"{self.kind} name {name!r} is taken by {'.'.join(origin)}; "
                    f"give {cls.__module__}.{cls.__qualname__} another `name`"
                )
        self._classes[name] = cls

    def lookup(self, name: str) -> C | None:
        """The class registered as `name`, never importing anything."""
        return self._classes.get(name)

    def unregister(self, name: str) -> None:
        self._classes.pop(name, None)

    def all(self) -> dict[str, C]:
        """A copy: name -> class."""
        return dict(self._classes)


jobs_registry: Registry[type[Job]] = Registry("job")


def job_name(cls: type[Job]) -> str:
    """The name written in payloads for a job class."""
    return Registry.name_of(cls)


def register(cls: type[Job]) -> None:
    jobs_registry.register(cls)


def lookup(name: str) -> type[Job] | None:
    """Return the registered job class called `name`, never importing anything."""
    return jobs_registry.lookup(name)


def registered() -> dict[str, type[Job]]:
    """A copy of the job registry, name -> class."""
    return jobs_registry.all()
