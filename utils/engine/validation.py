"""Argument checks shared by the course's helpers: bad input gets a clear TypeError/ValueError."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any


def check_count(what: str, value: Any, low: int = 1, high: int = 10**9) -> int:
    """A whole number from ``low`` to ``high`` (bools are not counts)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{what} must be a whole number, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{what} must be between {low:,} and {high:,}, got {value:,}")
    return value


def check_seconds(what: str, value: Any, low: float = 0.0, high: float = 3600.0, *, allow_low: bool = False) -> float:
    """A number of seconds above ``low`` (or equal to it, with ``allow_low``) and at most ``high``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds, not {type(value).__name__}")
    above = value >= low if allow_low else value > low
    if not (above and value <= high):
        raise ValueError(
            f"{what} must be {'at least' if allow_low else 'more than'} {low:g} and at most {high:g} seconds, got {value}"
        )
    return float(value)


def check_version(version: Any = None) -> tuple[int, int]:
    """``(major, minor)`` of ``version``: anything starting with two ints, like ``sys.version_info`` (default)."""
    if version is None:
        version = sys.version_info
    if (
        isinstance(version, (str, bytes))
        or not isinstance(version, Sequence)
        or len(version) < 2
        or not all(isinstance(part, int) and not isinstance(part, bool) for part in version[:2])
    ):
        raise TypeError(f"version must start with (major, minor) ints, like sys.version_info; got {version!r}")
    major_minor = (version[0], version[1])
    return major_minor
