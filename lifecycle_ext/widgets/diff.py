"""VersionDiffWidget: two versions side by side, with tabs for params, metrics, data, source, environment."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..registry.views.html import esc
from ._base import Closing, identity_widget, registry_or_default

__all__ = ["VersionDiffWidget", "TABS", "tab_html", "first_tab"]

# tab title -> the Diff sections it shows
TABS: dict[str, tuple[str, ...]] = {
    "params": ("params", "metadata"),
    "metrics": ("metrics",),
    "data changes": (
        "rows",
        "additive",
        "removal",
        "corrective",
        "feature_edits",
        "schema",
        "samples",
        "class_changes",
        "impact",
        "inputs",
        "chunks",
        "summary",
    ),
    "source": ("source",),
    "environment": ("env", "env_note"),
}


def first_tab(diff: Any) -> str:
    """The tab to open on: the first that holds a change (datasets and label schemas: "data changes"; models:
    "params" or "metrics"), else the one for the version's kind."""
    sections = diff.to_dict()["sections"]

    def has_change(key: str) -> bool:
        v = sections.get(key)
        if isinstance(v, dict):
            return any(v.get(k) for k in ("added", "removed", "changed", "count")) or key == "rows"
        return bool(v) and not (key == "metrics" and not any(m.get("delta") for m in v))

    kind = diff.to_dict().get("kind")
    order = ["data changes", *[t for t in TABS if t != "data changes"]] if kind != "model" else list(TABS)
    for title in order:
        if any(has_change(k) for k in TABS[title] if k in sections):
            return title
    return "data changes" if kind in ("dataset", "label_schema") else "params"


def tab_html(diff: Any, title: str) -> str:
    """The HTML of one tab: the diff's own rendering restricted to that tab's sections."""
    sections = diff.to_dict()["sections"]
    part = {k: sections[k] for k in TABS[title] if k in sections}
    if hasattr(diff, "sections"):
        view = type(diff)(diff.a, diff.b, diff.kind, part)
        return view._repr_html_()
    from ..registry.views.html import esc

    return f"<pre>{esc(part)}</pre>"


class VersionDiffWidget(Closing, w.VBox):
    """``VersionDiffWidget(a, b, registry=None)`` or ``VersionDiffWidget(diff=reg.diff(a, b))``."""

    def __init__(
        self, a: str | None = None, b: str | None = None, registry: Any = None, *, diff: Any = None, **kwargs: Any
    ) -> None:
        if diff is None:
            if a is None or b is None:
                raise TypeError("VersionDiffWidget needs two refs (a, b) or diff=")
            self.registry = registry_or_default(registry)
            diff = self.registry.diff(a, b)
        else:
            self.registry = registry
        self.diff = diff
        d = diff.to_dict()
        cards = []
        for ref in (d["a"], d["b"]):
            html = f"<b>{esc(ref)}</b>"
            if self.registry is not None:
                html = self.registry.get(ref)._repr_html_()
            card = w.HTML(html, layout=w.Layout(width="50%", overflow="auto"))
            cards.append(card)
        side = w.HBox(cards)
        self.tabs = w.Tab()
        pages = [w.HTML(tab_html(diff, t)) for t in TABS]
        self.tabs.children = pages
        for i, t in enumerate(TABS):
            self.tabs.set_title(i, t)
        self.tabs.selected_index = list(TABS).index(first_tab(diff))
        self.user = identity_widget(self.registry)
        top = [self.user] if self.user is not None else []
        self._own(*cards, side, *pages, self.tabs, *top)
        super().__init__([*top, side, self.tabs], **kwargs)
        self.add_class("lifecycle-diff-widget")
