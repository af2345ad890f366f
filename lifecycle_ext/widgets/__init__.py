"""Notebook widgets (ipywidgets). Nothing here is imported with the package: each name loads on first use.

- :class:`GateStatusWidget` -- gate checks with evidence; Approve / Reject / Promote with a reason.
- :class:`VersionDiffWidget` -- tabs for params, metrics, data changes, source and environment.
- :class:`LineageWidget` -- upstream and downstream, left to right; click a node for its record.
- :class:`AssetBrowser` -- assets by kind, versions with stages, filter by name, tag and metadata.
- :func:`enable_progress` / :func:`disable_progress` -- progress bars for long operations.
- :func:`widget_for` -- the widget for a command result (used by ``%lifecycle``), or None.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GateStatusWidget",
    "VersionDiffWidget",
    "LineageWidget",
    "AssetBrowser",
    "enable_progress",
    "disable_progress",
    "widget_for",
]

_WHERE = {
    "GateStatusWidget": "gate_status",
    "VersionDiffWidget": "diff",
    "LineageWidget": "lineage",
    "AssetBrowser": "browser",
    "enable_progress": "progress",
    "disable_progress": "progress",
    "widget_for": "display",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
