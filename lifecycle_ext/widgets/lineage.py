"""LineageWidget: upstream and downstream laid out left to right; click a node to see its record."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..core.errors import LifecycleError
from ..registry.views.lineage_layout import columns, lineage_svg
from ._base import Closing, identity_widget, message_html, registry_or_default

__all__ = ["LineageWidget"]

_STYLE = {"production": "success", "staging": "warning", "validated": "warning", "retired": ""}


class LineageWidget(Closing, w.VBox):
    """``LineageWidget(ref, registry=None, direction="both")``: the graph as SVG, one button per node in columns
    by depth (inputs left of the root, outputs right); clicking a node shows its version record."""

    def __init__(self, ref: str, registry: Any = None, *, direction: str = "both", **kwargs: Any) -> None:
        self.registry = registry_or_default(registry)
        self.lineage = self.registry.lineage(ref, direction=direction)
        self.selected: str | None = None
        self.graph = w.HTML(lineage_svg(self.lineage), layout=w.Layout(overflow="auto"))
        self.detail = w.HTML()
        self.node_buttons: dict[str, w.Button] = {}
        cols = []
        for col in columns(self.lineage):
            buttons = []
            for n in col:
                info = self.lineage.nodes.get(n, {})
                stage = "retired" if info.get("retired") else info.get("stage")
                b = w.Button(
                    description=n + (f" [{stage}]" if stage else ""),
                    tooltip=n,
                    button_style=_STYLE.get(stage or "", "info" if stage else ""),
                    layout=w.Layout(width="auto"),
                )
                b.add_class("lifecycle-node")
                b.on_click(lambda _b, node=n: self.select(node))
                self.node_buttons[n] = b
                buttons.append(b)
            cols.append(w.VBox(buttons))
        self.columns = w.HBox(cols)
        self.user = identity_widget(self.registry)
        self._own(self.graph, self.detail, *self.node_buttons.values(), *cols, self.columns, self.user)
        super().__init__([self.user, self.graph, self.columns, self.detail], **kwargs)
        self.add_class("lifecycle-lineage-widget")
        self.select(self.lineage.root)

    def select(self, node: str) -> None:
        """Show ``node``'s version record and highlight it."""
        self.selected = node
        for n, b in self.node_buttons.items():
            b.icon = "check" if n == node else ""
        try:
            self.detail.value = self.registry.get(node)._repr_html_()
        except LifecycleError as exc:
            self.detail.value = message_html(f"{type(exc).__name__}: {exc}", error=True)
        self.graph.value = lineage_svg(self.lineage, selected=node)
