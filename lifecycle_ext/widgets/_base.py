"""Shared pieces for the widgets: the registry to talk to, who they act as, message HTML, clean closing."""

from __future__ import annotations

import os
from typing import Any, NamedTuple

import ipywidgets as w

from ..registry.principal import JUPYTER_USER_ENV, clean_user
from ..registry.views.html import esc

__all__ = [
    "registry_or_default",
    "message_html",
    "Closing",
    "Identity",
    "identity_of",
    "identity_widget",
    "sidebar_user",
    "SIDEBAR_ENV",
]

SIDEBAR_ENV = JUPYTER_USER_ENV


def sidebar_user() -> str | None:
    """The name the Jupyter sidebar acts as, as far as this kernel can tell: what the server extension published
    (``$LIFECYCLE_JUPYTER_USER``), else the JupyterHub user; None outside a Jupyter server."""
    name = os.environ.get(SIDEBAR_ENV) or os.environ.get("JUPYTERHUB_USER")
    return clean_user(name) if name else None


class Identity(NamedTuple):
    """Who a widget acts as (the registry's user and signing key) and who the sidebar acts as."""

    user: str
    key: str | None  # fingerprint of the signing key, if one is loaded
    sidebar: str | None

    @property
    def differs(self) -> bool:
        """The widget would act as somebody other than the sidebar on the same page."""
        return self.sidebar is not None and self.sidebar != self.user

    def html(self) -> str:
        text = f"acting as <b>{esc(self.user)}</b>" + (f" (signing with key {esc(self.key)})" if self.key else "")
        if self.differs:
            text += (
                f' <b class="lifecycle-identity-warning" style="color:#c82333">&#9888; not {esc(self.sidebar)}, '
                f"the Jupyter user the sidebar acts as: actions here are recorded as {esc(self.user)}</b>"
            )
        return f'<small class="lifecycle-identity">{text}</small>'


def identity_widget(registry: Any) -> Any:
    """A line saying who a (read-only) widget reads as, with the same warning; None without a registry."""
    if registry is None:
        return None
    return w.HTML(identity_of(registry).html())


def identity_of(registry: Any) -> Identity:
    key = getattr(getattr(registry, "context", None), "key", None)
    return Identity(str(registry.user), getattr(key, "fingerprint", None), sidebar_user())


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
