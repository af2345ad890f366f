"""Extension points of the save/load path, listed explicitly (no registration by import side effect).

A save hook is ``hook(services, kind, obj, parent_record_or_None, options, payload=) -> dict`` (``payload`` is the
object already encoded for storage, so hooks need not encode it again) of extra fields for the
``VersionCreated`` event; its :class:`SaveHook` entry names the extra keyword arguments of ``reg.save`` it
consumes. A load hook is ``hook(services, record, obj) -> None``; so is a saved hook, run after ``reg.save``
returns the version ``record`` of ``obj``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["SaveHook", "save_hooks", "load_hooks", "saved_hooks"]


@dataclass(frozen=True)
class SaveHook:
    """``run(services, kind, obj, parent, options, payload=)`` and the ``reg.save`` options it consumes."""

    run: Callable[..., dict[str, Any]]
    options: tuple[str, ...] = ()


def save_hooks() -> list[SaveHook]:
    from .datasets import dataset_save_hook, label_schema_save_hook
    from .models.signature import signature_save_hook
    from .monitoring.baselines import baseline_hook
    from .reproduce import record_blobs_hook

    return [
        SaveHook(record_blobs_hook, ("blobs",)),
        SaveHook(dataset_save_hook, ("key", "label", "schema", "source", "reason", "label_migration")),
        SaveHook(label_schema_save_hook, ("mapping", "reason")),
        SaveHook(baseline_hook, ("baseline", "time_column", "prediction_baseline")),
        SaveHook(signature_save_hook, ("signature", "input_example")),
    ]


def load_hooks() -> list[Callable[..., None]]:
    from .object_refs import record_load

    hooks: list[Callable[..., None]] = [record_load]
    return hooks


def saved_hooks() -> list[Callable[..., None]]:
    from .object_refs import record_save

    hooks: list[Callable[..., None]] = [record_save]
    return hooks
