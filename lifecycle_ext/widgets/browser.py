"""AssetBrowser: assets by kind, versions with stages, filtered by name, tag and metadata."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..core.errors import LifecycleError
from ._base import Closing, identity_widget, message_html, registry_or_default

__all__ = ["AssetBrowser"]


class AssetBrowser(Closing, w.VBox):
    """``AssetBrowser(registry=None)``: filter controls over ``reg.browse(...)``; pick an asset to see its
    versions, stages and metric history."""

    def __init__(self, registry: Any = None, **kwargs: Any) -> None:
        self.registry = registry_or_default(registry)
        self.kind = w.Dropdown(description="kind", options=[("all", "")])
        self.name = w.Text(placeholder="name contains", description="name")
        self.tag = w.Text(placeholder="tag", description="tag")
        self.metadata = w.Text(placeholder="key or key=value", description="metadata")
        self.assets = w.Select(options=[], rows=8, layout=w.Layout(width="40%"))
        self.detail = w.HTML(layout=w.Layout(width="60%", overflow="auto"))
        self.listing: Any = None
        controls = w.HBox([self.kind, self.name, self.tag, self.metadata])
        body = w.HBox([self.assets, self.detail])
        self.user = identity_widget(self.registry)
        self._own(self.kind, self.name, self.tag, self.metadata, self.assets, self.detail, controls, body, self.user)
        super().__init__([self.user, controls, body], **kwargs)
        self.add_class("lifecycle-asset-browser")
        self.refresh()
        for c in (self.kind, self.name, self.tag, self.metadata):
            c.observe(self._changed, names="value")
        self.assets.observe(self._picked, names="value")

    def _changed(self, _change: Any) -> None:
        self.refresh()

    def _picked(self, _change: Any) -> None:
        self.show(self.assets.value)

    def refresh(self) -> None:
        """Re-run the search with the current filters."""
        try:
            self.listing = self.registry.browse(
                self.kind.value or None,
                name=self.name.value.strip() or None,
                tag=self.tag.value.strip() or None,
                metadata=self.metadata.value.strip() or None,
            )
        except LifecycleError as exc:
            self.detail.value = message_html(f"{type(exc).__name__}: {exc}", error=True)
            return
        kinds = [("all", "")] + [(k, k) for k in self.listing.kinds]
        if list(self.kind.options) != kinds:
            self.kind.options = kinds
        labels = [(f"{a['asset']} ({len(a['versions'])})", a["asset"]) for a in self.listing.assets]
        current = self.assets.value
        self.assets.options = labels
        keep = current if current in [v for _, v in labels] else (labels[0][1] if labels else None)
        self.assets.value = keep
        self.show(keep)

    def show(self, asset: str | None) -> None:
        """Show one asset's matching versions with stage badges and its metric history."""
        if asset is None or self.listing is None:
            self.detail.value = "<i>no assets match</i>"
            return
        entry = next((a for a in self.listing.assets if a["asset"] == asset), None)
        if entry is None:
            return
        html = self.listing.asset_html(entry)
        hist = self.registry.metric_history(asset)
        if hist.metrics:
            html += hist.svg(width=480, height=180)
        self.detail.value = html
