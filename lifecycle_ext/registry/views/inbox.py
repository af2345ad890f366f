"""The answer of ``reg.inbox()``: what awaits the acting user's review."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .html import esc, table

__all__ = ["Inbox"]

_LABELS = {"request": "approve?", "soak": "soak ended", "alert": "alert"}


@dataclass(frozen=True)
class Inbox:
    """``items``: ``{"type": "request"|"soak"|"alert", "ref", "to", "status", "by", "at", "reason",
    "approved_by", "waiting_on"}``, requests first (newest first), then alerts, then ended soak periods."""

    user: str
    items: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.items)

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "items": self.items}

    def __repr__(self) -> str:
        if not self.items:
            return f"nothing awaits {self.user}"
        lines = [f"{len(self.items)} item(s) await {self.user}:"]
        for i in self.items:
            to = f" -> {i['to']}" if i["to"] else ""
            by = f" (requested by {i['by']}{', ' + i['at'][:16] if i['at'] else ''})" if i["by"] else ""
            lines.append(f"  [{_LABELS[i['type']]}] {i['ref']}{to}: {i['status']}{by}")
            if i["reason"]:
                lines.append(f"      reason: {i['reason']}")
            for w in i["waiting_on"]:
                lines.append(f"      waiting on: {w}")
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        rows = [
            [_LABELS[i["type"]], i["ref"], i["to"] or "", i["status"], i["by"] or "", i["reason"]] for i in self.items
        ]
        return f"<div>Awaiting <b>{esc(self.user)}</b></div>" + table(
            ["", "version", "to", "status", "requested by", "reason"], rows
        )
