"""IPython magics: ``%%track`` and ``%lifecycle``. Loading registers them and imports nothing heavy."""

from __future__ import annotations

from typing import Any

__all__ = ["load", "unload"]


def load(ip: Any) -> None:
    from .cell_hooks import CellHooks
    from .lifecycle_magics import LifecycleMagics

    magics = LifecycleMagics(ip)
    ip.register_magics(magics)
    magics.cell_hooks = CellHooks(ip, magics.session.identity)
    magics.cell_hooks.register()


def unload(ip: Any) -> None:
    mm = ip.magics_manager
    magics = mm.registry.get("LifecycleMagics")
    hooks = getattr(magics, "cell_hooks", None)
    if hooks is not None:
        hooks.unregister()
    for kind, name in (("line", "lifecycle"), ("cell", "track")):
        mm.magics[kind].pop(name, None)
    mm.registry.pop("LifecycleMagics", None)
