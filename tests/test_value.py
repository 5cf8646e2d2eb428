from __future__ import annotations

from typing import ClassVar

import pytest

from archon.value import Value


class Point(Value):
    x: int
    y: int = 0
    LABEL: ClassVar[str] = "point"

    @property
    def total(self) -> int:
        return self.x + self.y


class Point3(Point):
    z: int = 7


def test_fields_are_the_annotated_attributes_in_order_with_their_defaults() -> None:
    assert Point(1) == Point(x=1, y=0)
    assert Point(1, 2)._asdict() == {"x": 1, "y": 2}
    assert Point3(1, z=3)._asdict() == {"x": 1, "y": 0, "z": 3}  # inherited fields first
    assert Point(3, 4).total == 7
    assert Point.LABEL == "point"  # a ClassVar is not a field


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((), {}, "needs a value for 'x'"),
        ((1, 2, 3), {}, "at most 2"),
        ((), {"x": 1, "w": 2}, "no field 'w'"),
        ((1,), {"x": 1}, "'x' twice"),
    ],
)
def test_a_wrong_call_raises_type_error(args: tuple[int, ...], kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_values_are_immutable() -> None:
    point = Point(1)
    with pytest.raises(AttributeError, match="immutable"):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del point.x
    assert point.x == 1


def test_equality_hash_repr_and_replace_go_by_type_and_fields() -> None:
    assert Point(1, 2) == Point(1, 2)
    assert Point(1, 2) != Point(2, 1)
    assert Point3(1, 0, 7) != Point(1, 0)  # another type, even with the same fields so far
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1, 2), Point(1, 2), Point(2, 1)}) == 2
    assert repr(Point3(1)) == "Point3(x=1, y=0, z=7)"
    moved = Point(1, 2)._replace(y=5)
    assert (moved, Point(1, 2)) == (Point(1, 5), Point(1, 2))
