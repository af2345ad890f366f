"""Progress port: long operations report ``(done, total)``; surfaces attach renderers.

The service calls :func:`task` for a long operation (saving a large artifact, verify, reproduce) and
``advance``/``close`` on what it returns. With no listener attached :func:`task` returns a shared no-op
object, so reporting costs one list check. Surfaces attach a *listener factory*: ``factory(label, total)``
returns an object with ``update(done, total)`` and ``close()`` (an ipywidgets bar, a text line on stderr).

Listeners are scoped with :func:`listening` (a context manager) or attached for the session with
:func:`attach`/:func:`detach`. The registry holds only the factories; each task's renderer lives only as long
as the task, so no widget is kept alive by this module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

__all__ = ["Renderer", "task", "active", "attach", "detach", "listening", "Task"]


class Renderer(Protocol):
    def update(self, done: int, total: int) -> None: ...

    def close(self) -> None: ...


Factory = Callable[[str, int], Renderer]
_factories: list[Factory] = []


class _Null:
    __slots__ = ()

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _Null:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


_NULL = _Null()


class Task:
    """A running operation with listeners; thread-safe ``advance`` (chunk writes run on a pool)."""

    def __init__(self, label: str, total: int, renderers: list[Renderer]) -> None:
        self.label, self.total, self.done = label, max(int(total), 0), 0
        self._renderers = renderers
        self._lock = threading.Lock()
        self._closed = False
        self._emit()

    def _emit(self) -> None:
        for r in self._renderers:
            try:
                r.update(self.done, self.total)
            except Exception:  # a broken renderer never breaks a save
                pass

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done = min(self.done + n, self.total) if self.total else self.done + n
            self._emit()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for r in self._renderers:
                try:
                    r.close()
                except Exception:
                    pass
            self._renderers = []

    def __enter__(self) -> Task:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def active() -> bool:
    """True when some listener is attached (callers may skip preparing progress work otherwise)."""
    return bool(_factories)


def task(label: str, total: int) -> Task | _Null:
    """Start reporting an operation of ``total`` units; a no-op when nobody listens."""
    if not _factories:
        return _NULL
    renderers = []
    for f in list(_factories):
        try:
            renderers.append(f(label, total))
        except Exception:
            pass
    return Task(label, total, renderers)


def attach(factory: Factory) -> Factory:
    if factory not in _factories:
        _factories.append(factory)
    return factory


def detach(factory: Factory) -> None:
    if factory in _factories:
        _factories.remove(factory)


@contextmanager
def listening(factory: Factory) -> Iterator[Factory]:
    attach(factory)
    try:
        yield factory
    finally:
        detach(factory)
