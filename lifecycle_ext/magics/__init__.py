"""IPython magics: ``%%track`` and ``%lifecycle``. Loading registers them and imports nothing heavy."""

from __future__ import annotations

from typing import Any

__all__ = ["load", "unload"]


def load(ip: Any) -> None:
    from .lifecycle_magics import LifecycleMagics

    ip.register_magics(LifecycleMagics(ip))


def unload(ip: Any) -> None:
    mm = ip.magics_manager
    for kind, name in (("line", "lifecycle"), ("cell", "track")):
        mm.magics[kind].pop(name, None)
    mm.registry.pop("LifecycleMagics", None)
