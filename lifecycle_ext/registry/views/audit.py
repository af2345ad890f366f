"""A rich view of the audit trail. ``reg.audit()`` stays a DataFrame (pandas escapes its HTML); this view,
from ``reg.audit_view()``, shows the same rows with stage badges, coloured actions and evidence folded away."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .html import badge, esc, table

__all__ = ["AuditTrail", "AssetListing"]

_ACTION_COLOURS = {
    "VersionPromoted": "#1e7e34",
    "PromotionApproved": "#1e7e34",
    "PromotionRefused": "#c82333",
    "PromotionRejected": "#c82333",
    "ActionDenied": "#c82333",
    "RolledBack": "#b8860b",
    "VersionRetired": "#495057",
}


def _v(value: Any) -> Any:
    """None for pandas' missing values (None/NaN), else the value."""
    return None if value is None or (isinstance(value, float) and value != value) else value


@dataclass(frozen=True)
class AuditTrail:
    ref: str | None
    frame: Any  # the DataFrame reg.audit() returns

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "rows": json.loads(self.frame.to_json(orient="records", default_handler=str))}

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        head = f"audit trail{' of ' + self.ref if self.ref else ''}: {len(self.frame)} events"
        lines = [head]
        for r in self.frame.itertuples(index=False):
            frm, to = _v(r.from_stage), _v(r.to_stage)
            move = f" {frm or '-'} -> {to}" if to else ""
            lines.append(
                f"  #{r.seq} {r.time} {r.actor} {r.action} {_v(r.ref) or ''}{move}"
                + (f": {r.reason}" if _v(r.reason) else "")
            )
        return "\n".join(lines)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        rows = []
        for r in self.frame.itertuples(index=False):
            colour = _ACTION_COLOURS.get(r.action, "#333")
            ev = json.dumps(r.evidence, indent=1, default=str, ensure_ascii=False) if r.evidence else ""
            rows.append(
                [
                    esc(r.seq),
                    esc(r.time),
                    esc(r.actor),
                    f'<b style="color:{colour}">{esc(r.action)}</b>',
                    esc(_v(r.ref) or ""),
                    (badge(_v(r.from_stage)) or "") + (" &rarr; " + badge(_v(r.to_stage)) if _v(r.to_stage) else ""),
                    esc(_v(r.reason) or ""),
                    f"<details><summary>evidence</summary><pre>{esc(ev)}</pre></details>" if ev else "",
                ]
            )
        body = (
            table(["#", "time", "actor", "action", "ref", "stage", "reason", ""], rows, raw=True)
            if rows
            else "<i>no events</i>"
        )
        return (
            f'<div class="lifecycle-audit"><b>Audit trail{" of " + esc(self.ref) if self.ref else ""}</b>'
            f" <small>{len(rows)} events</small>{body}</div>"
        )


@dataclass(frozen=True)
class AssetListing:
    """``reg.browse(...)``: assets (by kind) with their matching versions and stages."""

    filters: dict[str, Any]
    assets: list[dict[str, Any]]
    kinds: list[str]
    next: str | None = None  # the cursor of the next page (None on the last)

    def to_dict(self) -> dict[str, Any]:
        return {"filters": self.filters, "kinds": self.kinds, "assets": self.assets, "next": self.next}

    def __len__(self) -> int:
        return len(self.assets)

    def __repr__(self) -> str:
        lines = [f"{len(self.assets)} assets"]
        for a in self.assets:
            vs = ", ".join(f"@{v['number']}" + (f"[{v['stage']}]" if v["stage"] else "") for v in a["versions"])
            lines.append(f"  {a['asset']}: {vs}")
        return "\n".join(lines)

    __str__ = __repr__

    def asset_html(self, asset: dict[str, Any]) -> str:
        rows = [
            [
                f"@{v['number']}",
                badge(v["stage"]) + (" " + badge("retired") if v["retired"] else ""),
                esc(v["created_at"]),
                esc(v["author"]),
                esc(", ".join(v["tags"])),
                esc(v["metrics"]) if v["metrics"] else "",
                esc(v["metadata"]) if v["metadata"] else "",
                esc(v["note"]),
            ]
            for v in asset["versions"]
        ]
        return f"<b>{esc(asset['asset'])}</b>" + table(
            ["version", "stage", "created", "author", "tags", "metrics", "metadata", "note"], rows, raw=True
        )

    def _repr_html_(self) -> str:
        parts = ['<div class="lifecycle-assets">']
        for kind in self.kinds:
            group = [a for a in self.assets if a["kind"] == kind]
            if group:
                parts.append(f"<h4>{esc(kind)}</h4>" + "".join(self.asset_html(a) for a in group))
        if not self.assets:
            parts.append("<i>no assets match</i>")
        return "".join(parts) + "</div>"
