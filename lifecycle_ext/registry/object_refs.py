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

Besides these exact entries, the map holds *derived* entries: objects computed from registry versions in the
notebook (``X_train`` split from a loaded frame, an estimator fitted on it) carry the refs they were derived from
(written by :mod:`lifecycle_ext.provenance.dataflow`). :meth:`IdentityMap.lineage` answers both. Loads are also
journalled (:meth:`IdentityMap.mark`, :meth:`IdentityMap.loaded_since`) so a tracked cell sees the versions it
loaded itself.
"""

from __future__ import annotations

import functools
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Services

from ..core.refs import exact_ref

__all__ = ["IdentityMap", "default_map", "record_load", "record_save"]

STRONG_LIMIT = 10_000
JOURNAL = 1_000  # loads kept for loaded_since
_SCALARS = (int, float, complex, str, bool, type(None), tuple, frozenset)


class _Entry:
    __slots__ = ("ref", "location", "wref", "strong", "keys", "values", "derived")

    def __init__(self, ref: str, location: str) -> None:
        self.ref, self.location = ref, location
        self.derived: tuple[tuple[str, str], ...] = ()  # (ref, location) pairs of a derived entry
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
        self._derived: dict[int, _Entry] = {}
        self._loads: list[tuple[int, str, str]] = []  # (sequence number, ref, location)
        self._seq = 0

    def __len__(self) -> int:
        return len(self._entries) + len(self._derived)

    def remember(self, obj: Any, ref: str, location: str = "") -> bool:
        """Remember that ``obj`` is version ``ref`` of the registry at ``location``; False if it cannot be."""
        entry = self._entry(obj, ref, location, self._entries)
        if entry is None:
            return False
        self._derived.pop(id(obj), None)  # an exact version wins over what it was derived from
        self._entries[id(obj)] = entry
        return True

    def derive(self, obj: Any, sources: Any) -> bool:
        """Remember that ``obj`` was computed from the versions ``sources`` (``(ref, location)`` pairs); an
        object known exactly keeps its exact ref. False if it cannot be remembered."""
        pairs = tuple(dict.fromkeys(sources))
        if not pairs or self.lookup(obj) is not None:
            return False
        entry = self._entry(obj, "", "", self._derived)
        if entry is None:
            return False
        entry.derived = pairs
        self._derived[id(obj)] = entry
        return True

    def lineage(self, obj: Any, location: str | None = None) -> tuple[tuple[str, str], ...]:
        """``((ref, location), ...)``: the exact version ``obj`` is, else the versions it was derived from."""
        key = id(obj)
        e = self._entries.get(key)
        if e is not None and e.matches(obj):
            return ((e.ref, e.location),) if location is None or e.location == location else ()
        d = self._derived.get(key)
        if d is None or not d.matches(obj):
            return ()
        return tuple(p for p in d.derived if location is None or p[1] == location)

    def derived_refs(self, obj: Any, location: str | None = None) -> list[str]:
        """The refs ``obj`` was derived from (empty for objects known exactly or not at all)."""
        if self.lookup(obj) is not None:
            return []
        return list(dict.fromkeys(r for r, _ in self.lineage(obj, location)))

    def loaded(self, obj: Any, ref: str, location: str) -> None:
        """Load hook: remember ``obj`` and journal the load (a tracked cell's in-cell loads are its inputs)."""
        self.remember(obj, ref, location)
        self._seq += 1
        self._loads.append((self._seq, ref, location))
        if len(self._loads) > JOURNAL:
            del self._loads[: len(self._loads) - JOURNAL]

    def mark(self) -> int:
        return self._seq

    def loaded_since(self, mark: int, location: str | None = None) -> list[str]:
        """Refs loaded after :meth:`mark` returned ``mark`` (from the registry at ``location`` when given)."""
        return list(dict.fromkeys(r for n, r, loc in self._loads if n > mark and (location is None or loc == location)))

    def _entry(self, obj: Any, ref: str, location: str, table: dict[int, _Entry]) -> _Entry | None:
        if isinstance(obj, _SCALARS):
            return None
        key = id(obj)
        entry = _Entry(ref, location)
        try:
            entry.wref = weakref.ref(obj, functools.partial(self._drop, key, table))
        except TypeError:
            if isinstance(obj, dict) and obj and all(_weakable(v) for v in obj.values()):
                entry.keys = tuple(obj)
                entry.values = tuple(weakref.ref(v) for v in obj.values())
            elif isinstance(obj, (dict, list, set, bytes, bytearray)) and len(obj) <= STRONG_LIMIT:
                entry.strong = obj
            else:
                return None
        return entry

    @staticmethod
    def _drop(key: int, table: dict[int, _Entry], wref: Any) -> None:
        e = table.get(key)
        if e is not None and e.wref is wref:
            del table[key]

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
        self._derived.pop(id(obj), None)

    def clear(self) -> None:
        self._entries.clear()
        self._derived.clear()
        self._loads.clear()


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
    """Load hook: remember (and journal) every object ``reg.load`` returns."""
    _DEFAULT.loaded(obj, exact_ref(rec), svc.ctx.location)


def record_save(svc: Services, rec: dict[str, Any], obj: Any) -> None:
    """Saved hook: the object passed to ``reg.save`` is that version from now on (read later, it is an input)."""
    _DEFAULT.remember(obj, exact_ref(rec), svc.ctx.location)
