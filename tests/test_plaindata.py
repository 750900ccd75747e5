from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from utils.engine.plaindata import PlainData, from_plain, return_hint, to_plain


@dataclass
class Point(PlainData):
    x: float
    y: float = 0.0


@dataclass
class Shape(PlainData):
    name: str
    corners: tuple[Point, ...] = ()
    by_size: dict[int, list[Point]] = field(default_factory=dict)
    centre: Point | None = None
    pair: tuple[int, str] = (0, "")


def make_shape() -> Shape:
    return Shape("tri", (Point(0, 1), Point(2.5, 3)), {1024: [Point(1)]}, Point(1, 1), (3, "three"))


def test_nested_dataclasses_round_trip_through_json_shapes():
    import json

    shape = make_shape()
    data = json.loads(json.dumps(to_plain(shape)))  # tuples became lists, int keys became strings
    assert data["by_size"] == {"1024": [{"x": 1, "y": 0.0}]}
    rebuilt = from_plain(Shape, data)
    assert rebuilt == shape and isinstance(rebuilt.corners, tuple) and isinstance(rebuilt.corners[0], Point)
    assert Shape.from_dict(shape.to_dict()) == shape


def test_numbers_are_rebuilt_as_their_hint_says():
    assert from_plain(float, 2) == 2.0 and isinstance(from_plain(float, 2), float)
    assert from_plain(tuple[float, ...], [1, 2.5]) == (1.0, 2.5)
    assert from_plain(int | None, None) is None


@pytest.mark.parametrize(
    "hint, value, error, message",
    [
        (Point, {"x": 1, "z": 2}, ValueError, "unknown Point fields: \\['z'\\]"),
        (Point, {"y": 1}, TypeError, "cannot rebuild Point"),
        (Point, [1, 2], TypeError, "expected a dict for Point"),
        (float, "1", TypeError, "expected a number"),
        (int, True, TypeError, "expected int"),
        (tuple[int, str], [1], ValueError, "expected 2 items"),
        (dict[int, float], {"one": 1}, ValueError, "dict key 'one' is not a int"),
        (Point | None, 3, TypeError, "fits none of"),
    ],
)
def test_data_that_does_not_fit_its_hint_is_a_clear_error(hint, value, error, message):
    with pytest.raises(error, match=message):
        from_plain(hint, value)


def test_return_hint_resolves_postponed_annotations():
    assert return_hint(make_shape) is Shape
    assert return_hint(lambda: 1) is not Shape
