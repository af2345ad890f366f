"""The hook ``%lifecycle`` uses to show a widget for a command's result.

``widget_for(result, registry)`` returns a widget for results that have one (GateReport -> GateStatusWidget,
Diff -> VersionDiffWidget, Lineage -> LineageWidget, AssetListing -> AssetBrowser) and None for everything
else (the caller then displays the result itself, whose rich HTML repr works without widget JavaScript).
"""

from __future__ import annotations

from typing import Any

__all__ = ["widget_for"]


def widget_for(result: Any, registry: Any) -> Any:
    from ..registry.views.audit import AssetListing
    from ..registry.views.diffs import Diff
    from ..registry.views.gates import GateReport
    from ..registry.views.records import Lineage

    if isinstance(result, GateReport):
        from .gate_status import GateStatusWidget

        return GateStatusWidget(result.ref, to=result.to, registry=registry)
    if isinstance(result, Diff):
        from .diff import VersionDiffWidget

        return VersionDiffWidget(diff=result, registry=registry)
    if isinstance(result, Lineage):
        from .lineage import LineageWidget

        return LineageWidget(result.root, registry=registry, direction=result.direction)
    if isinstance(result, AssetListing):
        from .browser import AssetBrowser

        return AssetBrowser(registry=registry)
    return None
