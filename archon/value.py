"""Small immutable values that cost almost nothing to define: the records every archon start builds.

Every command builds a few values before it dispatches (the runtime, the build, the paths, the consent decision,
what ``config.yaml`` says), so defining their classes is part of every start. Measured here (Python 3.11, medians of
300): a frozen dataclass takes ~0.8 ms to define, a ``typing.NamedTuple`` ~0.1 ms plus ~20 µs per field (each
string annotation is compiled into a ``ForwardRef``), so the eight on ``archon version``'s path took ~3 ms of a
start-up budget of ~4.5 ms (docs/performance.md). A :class:`Value` subclass is a plain class; defining one takes
~20 µs, and making an instance a few µs.

The type checker sees every subclass as a frozen dataclass (``dataclass_transform``): fields are the annotated
class attributes, a value assigned to one is its default, the constructor is checked, and assigning to a field is
an error. At run time the same rules hold (unknown or missing fields raise ``TypeError``, assignment raises
``AttributeError``), and values compare equal, hash and print by their fields, like the NamedTuples they replace,
whose ``_replace`` they keep.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self, dataclass_transform

__all__ = ["Value"]


def _is_class_variable(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
    return isinstance(text, str) and text.split("[", 1)[0].rsplit(".", 1)[-1] == "ClassVar"


@dataclass_transform(frozen_default=True, eq_default=True)
class Value:
    """Base of small immutable values (see the module docstring)."""

    _fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__annotations__", {})  # noqa: RUF063 - inspect costs more than the rest here
        added = tuple(name for name, annotation in own.items() if not _is_class_variable(annotation))
        cls._fields = (*cls._fields, *(name for name in added if name not in cls._fields))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(fields)} values, got {len(args)}")
        values = dict(zip(fields, args, strict=False))
        for name, value in kwargs.items():
            if name not in fields:
                raise TypeError(f"{type(self).__name__} has no field {name!r}")
            if name in values:
                raise TypeError(f"{type(self).__name__} got {name!r} twice")
            values[name] = value
        if len(values) < len(fields):
            cls = type(self)
            for name in fields:
                if name not in values:
                    try:
                        values[name] = getattr(cls, name)  # the class attribute is the default
                    except AttributeError:
                        raise TypeError(f"{cls.__name__} needs a value for {name!r}") from None
        self.__dict__.update({name: values[name] for name in fields})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__name__}({fields})"

    def _replace(self, **changes: Any) -> Self:
        """A copy with ``changes`` (as ``NamedTuple._replace``)."""
        return type(self)(**{**self.__dict__, **changes})

    def _asdict(self) -> dict[str, Any]:
        """The fields and their values, in declaration order (as ``NamedTuple._asdict``)."""
        return dict(self.__dict__)
