"""Shared pieces for the widgets: the registry to talk to, message HTML, clean closing."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..registry.views.html import esc

__all__ = ["registry_or_default", "message_html", "Closing"]


def registry_or_default(registry: Any) -> Any:
    if registry is not None:
        return registry
    from .. import open_registry

    return open_registry()


def message_html(text: str, *, error: bool = False) -> str:
    colour = "#c82333" if error else "#1e7e34"
    icon = "&#10008;" if error else "&#10004;"
    cls = "lifecycle-error" if error else "lifecycle-ok"
    return f'<div class="{cls}" style="color:{colour};white-space:pre-wrap">{icon} {esc(text)}</div>'


class Closing:
    """Mixin for a container widget: ``close()`` also closes every widget it created."""

    _owned: list[Any]

    def _own(self, *widgets: Any) -> None:
        self.__dict__.setdefault("_owned", []).extend(widgets)

    def _static_view(self) -> Any:
        """The view model this widget shows (its HTML is the fallback where widget JavaScript is absent)."""
        for name in ("report", "diff", "lineage"):
            view = self.__dict__.get(name)
            if view is not None and hasattr(view, "_repr_html_"):
                return view
        return None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        """Add a ``text/html`` rendering beside the widget view, for GitHub, nbviewer and exported HTML."""
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]  # the widget base of the mixin is untyped
        view = self._static_view()
        if isinstance(bundle, dict) and view is not None:
            bundle["text/html"] = view._repr_html_()
        return bundle

    def close(self) -> None:
        for child in self.__dict__.get("_owned", []):
            if isinstance(child, w.Button):
                child._click_handlers.callbacks.clear()
            if hasattr(child, "unobserve_all"):
                child.unobserve_all()
            child.close()
        self.__dict__["_owned"] = []
        super().close()  # type: ignore[misc]  # the widget base of the mixin is untyped
