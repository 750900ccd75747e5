"""Results as plain data: every result dataclass in the course turns into a dict and back.

Experiments run in fresh worker processes (:mod:`utils.engine.isolation`) and send their results back
as JSON, so every result class is a dataclass of plain values with these two methods.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, TypeVar

T = TypeVar("T", bound="PlainData")


class PlainData:
    """Mixin for dataclasses: ``to_dict()`` and ``from_dict()``, which rejects unknown fields."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        if not isinstance(data, dict):
            raise TypeError(f"expected a dict, not {type(data).__name__}")
        unknown = set(data) - set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields: {sorted(unknown)}")
        return cls(**data)
