"""GateStatusWidget: a version's gate checks with evidence, and the actions the current user may take."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..core.errors import LifecycleError
from ._base import Closing, identity_of, message_html, registry_or_default

__all__ = ["GateStatusWidget"]

_ACTIONS = (("approve", "Approve", "success"), ("reject", "Reject", "danger"), ("promote", "Promote", "primary"))


class GateStatusWidget(Closing, w.VBox):
    """``GateStatusWidget(ref, to=STAGE, registry=None)``.

    Shows ``reg.gates(ref, to)``; buttons are enabled from ``reg.permissions(ref, to)`` (the service's own
    role checks), and clicking one calls ``reg.approve`` / ``reg.reject`` / ``reg.promote`` with the reason
    typed in, then re-evaluates. Errors (including a refused or denied action) are shown in the widget.

    It says who it acts as (the registry's user and signing key). When that is not the user the Jupyter sidebar
    acts as (``$LIFECYCLE_JUPYTER_USER``, published by the server extension; else ``$JUPYTERHUB_USER``), it shows a
    warning naming both, and no button acts until the "act as ..." box is ticked.
    """

    def __init__(self, ref: str, to: str | None = None, registry: Any = None, **kwargs: Any) -> None:
        self.registry = registry_or_default(registry)
        self.ref, self.to = ref, to
        self.report: Any = None
        self.allowed: dict[str, dict[str, Any]] = {}
        self.checks = w.HTML()
        self.reason = w.Textarea(placeholder="reason (recorded in the audit trail)", layout=w.Layout(width="98%"))
        self.limitations = w.Textarea(
            placeholder="known limitations (required when promoting to production)", layout=w.Layout(width="98%")
        )
        self.buttons: dict[str, w.Button] = {}
        for action, label, style in _ACTIONS:
            b = w.Button(description=label, button_style=style)
            b.add_class(f"lifecycle-{action}")
            b.on_click(lambda _b, a=action: self.act(a))
            self.buttons[action] = b
        self.user = w.HTML()
        self.identity = identity_of(self.registry)
        self.confirm = w.Checkbox(
            value=False,
            indent=False,
            description=f"act as {self.identity.user}, not {self.identity.sidebar}",
            layout=w.Layout(display="flex" if self.identity.differs else "none"),
        )
        self.confirm.add_class("lifecycle-identity-confirm")
        self.confirm.observe(self._confirmed, names="value")
        self.message = w.HTML()
        self._own(
            self.checks, self.reason, self.limitations, *self.buttons.values(), self.user, self.confirm, self.message
        )
        super().__init__(
            [
                self.checks,
                self.user,
                self.confirm,
                self.reason,
                self.limitations,
                w.HBox(list(self.buttons.values())),
                self.message,
            ],
            **kwargs,
        )
        self.add_class("lifecycle-gate-widget")
        self.refresh()

    def refresh(self) -> None:
        """Re-evaluate the gates and what the acting user may do."""
        try:
            self.report = self.registry.gates(self.ref, self.to)
            self.ref, self.to = self.report.ref, self.report.to  # pin the exact version and stage
            self.allowed = self.registry.permissions(self.ref, self.to)["actions"]
        except LifecycleError as exc:
            self.checks.value = ""
            self.message.value = message_html(f"{type(exc).__name__}: {exc}", error=True)
            for b in self.buttons.values():
                b.disabled = True
            return
        self.checks.value = self.report._repr_html_()
        self.identity = identity_of(self.registry)
        self.user.value = self.identity.html()
        self.confirm.description = f"act as {self.identity.user}, not {self.identity.sidebar}"
        self.confirm.layout.display = "flex" if self.identity.differs else "none"
        unconfirmed = self.identity.differs and not self.confirm.value
        for action, b in self.buttons.items():
            verdict = self.allowed.get(action, {"allowed": False, "reason": "unknown action"})
            b.disabled = not verdict["allowed"] or unconfirmed
            b.tooltip = (
                f"tick 'act as {self.identity.user}' first: the sidebar acts as {self.identity.sidebar}"
                if unconfirmed and verdict["allowed"]
                else verdict["reason"]
            )

    def _confirmed(self, _change: Any) -> None:
        self.refresh()

    def act(self, action: str) -> Any:
        """Take ``action`` (approve, reject, promote) through the service; show the outcome; refresh."""
        reason = self.reason.value.strip()
        result = None
        ident = identity_of(self.registry)
        if ident.differs and not self.confirm.value:
            self.message.value = message_html(
                f"not done: this widget acts as {ident.user}, but the Jupyter sidebar acts as {ident.sidebar}; "
                f"tick 'act as {ident.user}' to act as {ident.user} anyway",
                error=True,
            )
            return None
        try:
            if action == "approve":
                result = self.registry.approve(self.ref, self.to, reason=reason)
            elif action == "reject":
                result = self.registry.reject(self.ref, self.to, reason=reason)
            elif action == "promote":
                result = self.registry.promote(
                    self.ref, self.to, reason=reason, known_limitations=self.limitations.value.strip() or None
                )
            else:
                raise ValueError(f"unknown action {action!r}")
        except LifecycleError as exc:
            self.message.value = message_html(f"{type(exc).__name__}: {str(exc).splitlines()[0]}", error=True)
        else:
            self.message.value = message_html(f"{action}: {result!r}".splitlines()[0])
            self.reason.value = ""
        self.refresh()
        return result
