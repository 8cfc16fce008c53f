"""Check that job arguments survive a JSON round trip unchanged."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# Beyond 2**53 a JSON number loses precision in JavaScript and in many clients.
MAX_SAFE_INT = 2**53


def _type_name(value: object) -> str:
    kind = type(value)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _check(value: Any, path: str) -> None:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return
    if kind is int:
        if -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            return
        raise TypeError(f"{path} is an int beyond 2**53 ({value}); pass it as a string")
    if kind is float:
        if math.isfinite(value):
            return
        raise TypeError(f"{path} is a float {value!r}, which JSON cannot carry")
    if kind is list:
        for index, item in enumerate(value):
            _check(item, f"{path}[{index}]")
        return
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(
                    f"{path} has a key {key!r} of type {_type_name(key)}; keys must be str"
                )
            _check(item, f"{path}[{key!r}]")
        return
    raise TypeError(
        f"{path} is of type {_type_name(value)}, which is not JSON-native "
        "(use str, int, float, bool, None, list or dict with str keys)"
    )


def check_args(args: Sequence[Any], where: str, names: list[str] | None = None) -> None:
    """Raise TypeError naming the first argument of `args` that JSON would not carry unchanged."""
    for index, value in enumerate(args):
        kind = type(value)
        # The commonest arguments pass without building the label an error would need.
        if kind is str or kind is bool or value is None:
            continue
        if kind is int and -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            continue
        label = f"argument {index}"
        if names is not None and index < len(names):
            label += f" ({names[index]!r})"
        _check(value, f"{where}: {label}")
