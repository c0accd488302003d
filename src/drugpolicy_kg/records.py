"""Plain records for the modules every command imports first, without :mod:`dataclasses`.

Importing ``dataclasses`` imports ``inspect`` (and with it ``ast``, ``dis`` and ``tokenize``): 7.5-12 ms of a
command's start on this machine, for a ``search`` that otherwise answers from its index in 4 ms. A class here names
its fields in ``__slots__`` and sets them in its own ``__init__``; this base gives it equality (hashing too, for a
:class:`FrozenRecord`), a ``repr`` and ``to_dict`` (nested records and lists of them as dicts, as
``dataclasses.asdict`` does).

>>> class Point(Record):
...     __slots__ = ("x", "y")
...     def __init__(self, x, y):
...         self.x, self.y = x, y
>>> Point(1, [Point(2, 3)]).to_dict(), Point(1, 2) == Point(1, 2), Point(1, 2)
({'x': 1, 'y': [{'x': 2, 'y': 3}]}, True, Point(x=1, y=2))
"""

from __future__ import annotations


class Record:
    __slots__ = ()
    _fields: tuple[str, ...] = ()  # the public slots of the class and its bases, bases first (a subclass's own
    # private slots, "_read_kind", are not fields: as a subclass of a dataclass has its base's)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._fields = tuple(name for klass in reversed(cls.__mro__) for name in klass.__dict__.get("__slots__", ())
                            if not name.startswith("_"))

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and other._values() == self._values()

    __hash__ = None  # (changed after it is made, as a dataclass with eq: compared by value, never a key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._fields)})"

    def to_dict(self) -> dict:
        return {name: _plain(getattr(self, name)) for name in self._fields}

    def replace(self, **changes):
        """A copy with ``changes`` (field: value) made, as ``dataclasses.replace``; the rest shared, not copied.

        >>> class Pt(Record):
        ...     __slots__ = ("x", "y")
        ...     def __init__(self, x, y):
        ...         self.x, self.y = x, y
        >>> Pt(1, 2).replace(y=3)
        Pt(x=1, y=3)
        >>> Pt(1, 2).replace(z=3)
        Traceback (most recent call last):
        ...
        TypeError: Pt has no field z
        """
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        return type(self)(**{name: changes[name] if name in changes else getattr(self, name) for name in self._fields})


def _plain(value):
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


class FrozenRecord(Record):
    """A record made from its fields in ``__slots__`` order, and not changed after (as ``frozen=True``).

    >>> class Pair(FrozenRecord):
    ...     __slots__ = ("a", "b")
    >>> p = Pair(1, b=2)
    >>> p.a, p.b, {p, Pair(1, 2)} == {p}
    (1, 2, True)
    >>> p.a = 3
    Traceback (most recent call last):
    ...
    AttributeError: a Pair is not changed (a)
    """

    __slots__ = ()

    def __init__(self, *args, **kwargs):
        names = self._fields
        if len(args) + len(kwargs) != len(names) or set(kwargs) != set(names[len(args):]):  # (each field once)
            raise TypeError(f"{type(self).__name__} takes {', '.join(names)}")
        for name, value in (*zip(names, args), *kwargs.items()):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"a {type(self).__name__} is not changed ({name})")

    def __hash__(self) -> int:
        return hash((type(self).__name__, *self._values()))

    def __reduce__(self):  # (pickled for a worker process: made again from its fields, not set field by field)
        return type(self), self._values()
