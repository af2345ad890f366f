"""The codec registry: how each storable type becomes a :class:`~.payload.Payload` and back. No pickling, ever.

A :class:`Codec` declares what it handles (``types`` and/or an ``accepts`` predicate, tried in ``priority``
order), the ``object_type`` name written into the stored group, ``encode``/``decode``, and optional ``summary``
and ``diff`` hooks. The built-in codecs (numpy arrays, pandas DataFrames and Series, bytes, files and
directories, dicts of arrays, JSON-able values) are listed once, in :mod:`.builtin_codecs`, and registered on
first use; a new format is one module that calls :func:`register_codec`::

    from lifecycle_ext.storage.codecs import Codec, register_codec

    register_codec(Codec(object_type="toy", label="mypkg.Toy", types=("mypkg.Toy",),
                         encode=encode_toy, decode=decode_toy, summary=lambda t: {"n": len(t.values)}))

Anything no codec accepts raises :class:`~lifecycle_ext.core.errors.UnsupportedType` naming what is supported.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import UnsupportedType
from .payload import Payload

__all__ = [
    "Codec",
    "register_codec",
    "unregister_codec",
    "registered_codec",
    "registered_codecs",
    "codec_for",
    "codec_named",
    "supported",
    "unsupported",
    "encode",
    "decode",
    "describe_difference",
    "schema_keys",
    "FALLBACK_PRIORITY",
]

FALLBACK_PRIORITY = -100
"""Priority of the catch-all JSON codec: every other codec is tried before it."""

Encoder = Callable[[Any], Payload]
Decoder = Callable[[Any, dict[str, Any], "Path | None"], Any]


@dataclass(frozen=True)
class Codec:
    """How one storable type is written and read.

    - ``object_type``: the name stored in the group's ``lifecycle.type`` attribute; unique and stable forever
      (stored versions are decoded by it).
    - ``label``: how the "supported:" list of :class:`UnsupportedType` names this type.
    - ``types``: classes, or dotted names (``"torch.nn.Module"``) matched only if their module is already
      imported, so a codec never imports its framework to check an object.
    - ``accepts``: an extra predicate (applied after ``types`` match, or alone when ``types`` is empty).
    - ``priority``: higher is tried first; ties go to the codec registered first (the built-ins).
    - ``encode(obj) -> Payload`` (its ``object_type`` must be this codec's); ``decode(group, attrs, dest)``,
      ``dest`` being where files are written (``None``: the codec picks, e.g. a temporary folder).
    - ``summary(obj) -> dict``: merged into the payload's summary (shown by ``reg.get(ref)``).
    - ``diff(old, new) -> str``: one line on how ``new`` differs from ``old`` (two decoded objects).
    - ``schema_keys``: summary keys whose change is a change of schema rather than of content.
    """

    object_type: str
    label: str
    encode: Encoder
    decode: Decoder
    types: tuple[type | str, ...] = ()
    accepts: Callable[[Any], bool] | None = None
    priority: int = 0
    summary: Callable[[Any], dict[str, Any]] | None = None
    diff: Callable[[Any, Any], str] | None = None
    schema_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.object_type or not isinstance(self.object_type, str):
            raise ValueError("a codec needs a non-empty object_type name")
        if not self.types and self.accepts is None:
            raise ValueError(f"codec {self.object_type!r} declares neither types nor an accepts predicate")

    def handles(self, obj: object) -> bool:
        if self.types:
            classes = tuple(c for c in map(_resolve, self.types) if c is not None)
            if not classes or not isinstance(obj, classes):
                return False
        return self.accepts is None or bool(self.accepts(obj))


def _resolve(t: type | str) -> type | None:
    """A class, or a dotted name resolved only if its module was already imported by the user."""
    if not isinstance(t, str):
        return t
    parts = t.split(".")
    for i in range(len(parts) - 1, 0, -1):
        obj: Any = sys.modules.get(".".join(parts[:i]))
        if obj is None:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
        return obj if isinstance(obj, type) else None
    return None


class _Table:
    """Registered codecs in try order; the built-ins are added on first use, before any other codec."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._codecs: dict[str, tuple[int, Codec]] = {}
        self._ordered: tuple[Codec, ...] | None = None
        self._seq = 0
        self._loaded = False

    def _ensure(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if self._loaded:
                return
            from .builtin_codecs import builtin_codecs

            for codec in builtin_codecs():
                self._add(codec, replace=False)
            self._loaded = True  # only now: another thread must never see a half-filled table

    def _add(self, codec: Codec, *, replace: bool) -> Codec | None:
        old = self._codecs.get(codec.object_type)
        if old is not None and not replace:
            raise ValueError(
                f"a codec for object type {codec.object_type!r} is already registered "
                f"({old[1].label}); pass replace=True to replace it"
            )
        self._seq += 1
        self._codecs[codec.object_type] = (self._seq if old is None else old[0], codec)
        self._ordered = None
        return None if old is None else old[1]

    def add(self, codec: Codec, *, replace: bool) -> Codec | None:
        self._ensure()
        with self._lock:
            return self._add(codec, replace=replace)

    def remove(self, object_type: str) -> Codec:
        self._ensure()
        with self._lock:
            try:
                _, codec = self._codecs.pop(object_type)
            except KeyError:
                raise KeyError(f"no codec registered for object type {object_type!r}") from None
            self._ordered = None
            return codec

    def ordered(self) -> tuple[Codec, ...]:
        self._ensure()
        ordered = self._ordered
        if ordered is None:
            with self._lock:
                entries = sorted(self._codecs.values(), key=lambda e: (-e[1].priority, e[0]))
                ordered = self._ordered = tuple(c for _, c in entries)
        return ordered

    def named(self, object_type: str) -> Codec | None:
        self._ensure()
        entry = self._codecs.get(object_type)
        return None if entry is None else entry[1]


_TABLE = _Table()


def register_codec(codec: Codec, *, replace: bool = False) -> Codec:
    """Register ``codec`` for every later save and load; return it. A second codec for the same
    ``object_type`` is refused unless ``replace=True`` (then it keeps the replaced one's tie-break order)."""
    _TABLE.add(codec, replace=replace)
    return codec


def unregister_codec(codec: Codec | str) -> Codec:
    """Remove a codec (or the codec of an object type name); return it."""
    return _TABLE.remove(codec if isinstance(codec, str) else codec.object_type)


@contextmanager
def registered_codec(codec: Codec, *, replace: bool = False) -> Iterator[Codec]:
    """Register ``codec`` for the duration of a ``with`` block (tests, scoped plugins); restore what was before."""
    previous = _TABLE.add(codec, replace=replace)
    try:
        yield codec
    finally:
        if previous is not None:
            _TABLE.add(previous, replace=True)  # in place: the replaced codec keeps its place in the order
        elif _TABLE.named(codec.object_type) is codec:
            _TABLE.remove(codec.object_type)


def registered_codecs() -> tuple[Codec, ...]:
    """Every registered codec, in the order they are tried."""
    return _TABLE.ordered()


def supported() -> list[str]:
    """What can be stored, as the labels of the registered codecs (in try order, without repeats)."""
    return list(dict.fromkeys(c.label for c in _TABLE.ordered()))


def unsupported(obj: object, why: str = "") -> UnsupportedType:
    """The error for an object that cannot be stored, naming its type, ``why`` and what is supported."""
    t = type(obj)
    name = f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__
    extra = f" ({why})" if why else ""
    return UnsupportedType(
        f"cannot store an object of type {name}{extra}; supported: {'; '.join(supported())}. "
        "Objects are never pickled: convert it to one of these first."
    )


def codec_for(obj: object) -> Codec:
    """The first codec, in priority order, that handles ``obj``; :class:`UnsupportedType` if none does."""
    for codec in _TABLE.ordered():
        if codec.handles(obj):
            return codec
    raise unsupported(obj)


def codec_named(object_type: str) -> Codec:
    """The codec that reads stored objects of type ``object_type``."""
    codec = _TABLE.named(object_type)
    if codec is None:
        raise UnsupportedType(
            f"stored object type {object_type!r} is not known to this version of lifecycle_ext "
            "(or its codec is not registered); upgrade it or import the module that registers it"
        )
    return codec


def encode(obj: Any) -> Payload:
    """Lay ``obj`` out as a payload with the codec that handles it."""
    codec = codec_for(obj)
    payload = codec.encode(obj)
    if payload.object_type != codec.object_type:
        raise TypeError(f"codec {codec.object_type!r} produced a payload of type {payload.object_type!r}")
    if codec.summary is not None:
        payload.summary = {**payload.summary, **codec.summary(obj)}
    return payload


def decode(group: Any, attrs: Mapping[str, Any], dest: str | os.PathLike[str] | None = None) -> Any:
    """Rebuild the stored object from its zarr group and root attributes (``attrs["type"]`` picks the codec)."""
    return codec_named(attrs["type"]).decode(group, dict(attrs), None if dest is None else Path(dest))


def describe_difference(old: Any, new: Any) -> str:
    """One line on how ``new`` differs from ``old``, by the ``diff`` hook of ``old``'s codec (best effort)."""
    try:
        codec = codec_for(old)
        same_codec = codec is codec_for(new)
    except UnsupportedType:
        codec, same_codec = None, False
    try:
        if codec is not None and codec.diff is not None and (same_codec or type(old) is type(new)):
            return codec.diff(old, new)
        if type(old) is not type(new):
            return f"type {type(old).__name__} -> {type(new).__name__}"
        return "values differ"
    except Exception as exc:  # noqa: BLE001 - the description is best effort
        return f"differs (no summary: {type(exc).__name__})"


def schema_keys(object_type: str) -> tuple[str, ...]:
    """Summary keys whose change is a schema change for ``object_type`` (empty for unknown types)."""
    codec = _TABLE.named(object_type)
    return () if codec is None else codec.schema_keys
