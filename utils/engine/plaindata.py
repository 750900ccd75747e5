"""Results as plain data: any result dataclass turns into JSON-ready values and back, by its type hints.

Experiments run in fresh worker processes (:mod:`utils.engine.isolation`) and send their results
back as JSON. :func:`to_plain` turns a value into JSON-ready data (dataclasses, nested ones
included, become dicts; tuples become lists); :func:`from_plain` rebuilds it from a type hint:

    from_plain(RunResult, data)               # a dataclass, its fields rebuilt from their own hints
    from_plain(dict[int, list[RunResult]], d)  # JSON's string keys back to int
    from_plain(tuple[float, ...], [1, 2.5])    # (1.0, 2.5)

No class needs its own ``from_dict``: a dataclass of plain values, tuples, lists, dicts,
``X | None`` and other such dataclasses round-trips as it is. Unknown fields are an error.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import types
import typing
from typing import Any, TypeVar

T = TypeVar("T", bound="PlainData")

_SEQUENCES = {
    list,
    collections.abc.Sequence,
    collections.abc.Iterable,
    collections.abc.Collection,
    collections.abc.MutableSequence,
}
_MAPPINGS = {dict, collections.abc.Mapping, collections.abc.MutableMapping}
_UNIONS = {typing.Union, types.UnionType}


def to_plain(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses become dicts of their fields, tuples become lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def from_plain(hint: Any, value: Any) -> Any:
    """Rebuild ``value`` (JSON data) as the type ``hint`` names; ``TypeError``/``ValueError`` if it cannot."""
    if hint is Any or isinstance(hint, (TypeVar, str)):
        return value
    if hint is None or hint is type(None):
        if value is not None:
            raise TypeError(f"expected None, got {type(value).__name__}")
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in _UNIONS:
        if value is None and type(None) in args:
            return None
        problems = []
        for arm in args:
            if arm is type(None):
                continue
            try:
                return from_plain(arm, value)
            except (TypeError, ValueError) as exc:
                problems.append(str(exc))
        raise TypeError(f"{value!r:.60} fits none of {hint}: {'; '.join(problems)}")
    if origin is typing.Literal:
        if value not in args:
            raise ValueError(f"expected one of {args}, got {value!r}")
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_from_plain(hint, value)
    if origin in _SEQUENCES or hint in (list, tuple) or origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list for {hint}, not {type(value).__name__}")
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise ValueError(f"expected {len(args)} items for {hint}, got {len(value)}")
            return tuple(from_plain(a, v) for a, v in zip(args, value))
        items = [from_plain(args[0] if args else Any, v) for v in value]
        return tuple(items) if (origin is tuple or hint is tuple) else items
    if origin in _MAPPINGS or hint is dict:
        if not isinstance(value, dict):
            raise TypeError(f"expected a dict for {hint}, not {type(value).__name__}")
        key_hint, value_hint = args if len(args) == 2 else (Any, Any)
        return {_key(key_hint, k): from_plain(value_hint, v) for k, v in value.items()}
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"expected a number, not {type(value).__name__}")
        return float(value)
    if hint in (int, str, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise TypeError(f"expected {hint.__name__}, not {type(value).__name__}")
        return value
    return value  # any other class: kept as the JSON value it came as


def _key(hint: Any, key: str) -> Any:
    """JSON object keys are strings: turn them back into the hinted key type."""
    if hint in (int, float) and isinstance(key, str):
        try:
            return hint(key)
        except ValueError:
            raise ValueError(f"dict key {key!r} is not a {hint.__name__}") from None
    return from_plain(hint, key)


def _dataclass_from_plain(cls: type, value: Any) -> Any:
    if not isinstance(value, dict):
        raise TypeError(f"expected a dict for {cls.__name__}, not {type(value).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(value) - set(fields)
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {sorted(unknown)}")
    hints = _hints(cls)
    init = {name: from_plain(hints.get(name, Any), v) for name, v in value.items() if fields[name].init}
    try:
        return cls(**init)
    except TypeError as exc:  # a required field is missing
        raise TypeError(f"cannot rebuild {cls.__name__}: {exc}") from None


def _hints(obj: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj)
    except (NameError, TypeError):  # a hint names something only imported for type checking
        return {}


def return_hint(func: Any) -> Any:
    """The return annotation of ``func``, resolved (``Any`` if it has none or it cannot be resolved)."""
    return _hints(func).get("return", Any)


class PlainData:
    """Mixin for result dataclasses: ``to_dict()`` and ``from_dict()``, built on the type hints."""

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        return _dataclass_from_plain(cls, data)
