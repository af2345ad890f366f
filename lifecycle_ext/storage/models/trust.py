"""Which user types a stored model may name: nothing beyond the frameworks' own, unless allowed here.

``allow_types(...)`` trusts names for the whole process; ``trusted_types(...)`` for a ``with`` block (what
``reg.load(ref, trusted=[...])`` uses). A name is a fully qualified class, ``"mypkg.module.Class"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ...core.errors import UsageInputError

__all__ = ["allow_types", "trusted_types", "allowed_types"]

_allowed: set[str] = set()
_scoped: ContextVar[frozenset[str]] = ContextVar("lifecycle_trusted_types", default=frozenset())


def allow_types(*names: str) -> None:
    """Trust these fully qualified type names (``"mypkg.mod.Class"``) in every later load of this process."""
    _allowed.update(_names(names))


@contextmanager
def trusted_types(*names: str) -> Iterator[None]:
    """Trust these type names for loads inside the ``with`` block only."""
    token = _scoped.set(_scoped.get() | frozenset(_names(names)))
    try:
        yield
    finally:
        _scoped.reset(token)


def allowed_types() -> frozenset[str]:
    """The names trusted now (process-wide and scoped)."""
    return frozenset(_allowed) | _scoped.get()


def _names(names: Iterable[str]) -> list[str]:
    out = []
    for n in names:
        if not isinstance(n, str) or "." not in n:
            raise UsageInputError(f"a trusted type is a fully qualified name like 'mypkg.module.Class', got {n!r}")
        out.append(n)
    return out
