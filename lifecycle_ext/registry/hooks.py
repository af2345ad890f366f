"""Extension points of the save/load path, listed explicitly (no registration by import side effect).

A save hook is ``hook(reg, kind, obj, parent_record_or_None, options, payload=) -> dict`` (``payload`` is the
object already encoded for storage, so hooks need not encode it again) of extra fields for the
``VersionCreated`` event; its ``options`` attribute names the extra keyword arguments of ``reg.save`` it
consumes. A load hook is ``hook(reg, record, obj) -> None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["save_hooks", "load_hooks"]


def save_hooks() -> list[Callable[..., dict[str, Any]]]:
    from .monitoring.baselines import baseline_hook
    from .datasets import dataset_save_hook, label_schema_save_hook
    from .reproduce import record_blobs_hook

    hooks: list[Callable[..., dict[str, Any]]] = [record_blobs_hook, dataset_save_hook, label_schema_save_hook,
                                                  baseline_hook]
    return hooks


def load_hooks() -> list[Callable[..., None]]:
    from .identity_map import record_load

    hooks: list[Callable[..., None]] = [record_load]
    return hooks
