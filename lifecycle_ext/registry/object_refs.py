"""Which live objects came from the registry: ``id(obj) -> exact ref``, without keeping objects alive.

Filled by ``reg.load`` (a load hook), ``%lifecycle load`` and saves made by ``%%track``; read by ``%%track`` to
turn the variables a cell reads into lineage inputs. How an object is remembered:

* weak-referenceable objects (numpy arrays, DataFrames, most class instances): a weak reference whose callback
  drops the entry when the object dies, so an id reused by a new object never inherits the ref;
* dicts whose values are all weak-referenceable (state dicts of arrays): the keys and weak references to the
  values; a lookup matches only while the same dict holds the same value objects;
* other small containers (dicts/lists/bytes up to ``STRONG_LIMIT`` items or bytes): a strong reference (cheap);
* immutable scalars (int, float, str, bool, None, tuples) are never recorded: their identity is shared by
  unrelated values (``5`` is ``5``), so they would create false lineage.
"""

from __future__ import annotations

import functools
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Services

from ..core.refs import exact_ref

__all__ = ["IdentityMap", "default_map", "record_load"]

STRONG_LIMIT = 10_000
_SCALARS = (int, float, complex, str, bool, type(None), tuple, frozenset)


class _Entry:
    __slots__ = ("ref", "location", "wref", "strong", "keys", "values")

    def __init__(self, ref: str, location: str) -> None:
        self.ref, self.location = ref, location
        self.wref: Any = None
        self.strong: Any = None
        self.keys: tuple[Any, ...] | None = None
        self.values: tuple[Any, ...] | None = None

    def matches(self, obj: Any) -> bool:
        if self.wref is not None:
            return self.wref() is obj
        if self.strong is not None:
            return self.strong is obj
        if self.keys is not None and self.values is not None and isinstance(obj, dict):
            return (
                tuple(obj) == self.keys
                and len(obj) == len(self.values)
                and all(w() is v for w, v in zip(self.values, obj.values()))
            )
        return False


class IdentityMap:
    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def remember(self, obj: Any, ref: str, location: str = "") -> bool:
        """Remember that ``obj`` is version ``ref`` of the registry at ``location``; False if it cannot be."""
        if isinstance(obj, _SCALARS):
            return False
        key = id(obj)
        entry = _Entry(ref, location)
        try:
            entry.wref = weakref.ref(obj, functools.partial(self._drop, key))
        except TypeError:
            if isinstance(obj, dict) and obj and all(_weakable(v) for v in obj.values()):
                entry.keys = tuple(obj)
                entry.values = tuple(weakref.ref(v) for v in obj.values())
            elif isinstance(obj, (dict, list, set, bytes, bytearray)) and len(obj) <= STRONG_LIMIT:
                entry.strong = obj
            else:
                return False
        self._entries[key] = entry
        return True

    def _drop(self, key: int, wref: Any) -> None:
        e = self._entries.get(key)
        if e is not None and e.wref is wref:
            del self._entries[key]

    def lookup(self, obj: Any, location: str | None = None) -> str | None:
        """The exact ref ``obj`` is known as (in the registry at ``location`` when given), else None."""
        e = self._entries.get(id(obj))
        if e is None or not e.matches(obj):
            return None
        if location is not None and e.location != location:
            return None
        return e.ref

    def forget(self, obj: Any) -> None:
        self._entries.pop(id(obj), None)

    def clear(self) -> None:
        self._entries.clear()


def _weakable(v: Any) -> bool:
    try:
        weakref.ref(v)
    except TypeError:
        return False
    return True


_DEFAULT = IdentityMap()


def default_map() -> IdentityMap:
    """The process-wide map shared by ``reg.load``, ``%lifecycle load`` and ``%%track``."""
    return _DEFAULT


def record_load(svc: Services, rec: dict[str, Any], obj: Any) -> None:
    """Load hook: remember every object ``reg.load`` returns."""
    _DEFAULT.remember(obj, exact_ref(rec), svc.ctx.location)
