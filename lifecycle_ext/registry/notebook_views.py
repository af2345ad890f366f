"""Service methods returning views made for looking at: the rich audit trail and metric history."""

from __future__ import annotations

from typing import Any

from .audit_view import AuditTrail
from .history import MetricHistory

__all__ = ["NotebookViewsMixin"]


class NotebookViewsMixin:
    def audit_view(self, ref: str | None = None) -> AuditTrail:
        """``reg.audit(ref)`` as a view with stage badges and folded evidence (``.frame`` is the DataFrame)."""
        return AuditTrail(ref=ref, frame=self.audit(ref))  # type: ignore[attr-defined]

    def metric_history(self, name: str, metric: str | list[str] | None = None) -> MetricHistory:
        """Metrics across the versions of asset ``name`` and the stages each version reached."""
        r = self._asset_ref(name)  # type: ignore[attr-defined]
        st = self.state  # type: ignore[attr-defined]
        a = self._asset(r, st)  # type: ignore[attr-defined]
        order = list(self._policy_in(st).stages_for(a["kind"]))  # type: ignore[attr-defined]
        seen: list[str] = []
        for v in a["versions"]:
            seen += [k for k in (v.get("metrics") or {}) if k not in seen]
        if metric is not None:
            wanted = [metric] if isinstance(metric, str) else list(metric)
            missing = [m for m in wanted if m not in seen]
            if missing:
                from ..core.errors import NotFound
                raise NotFound(f"{r.asset} has no metric {', '.join(map(repr, missing))}; "
                               f"recorded metrics: {', '.join(seen) or 'none'}")
            seen = wanted
        rows = []
        for v in a["versions"]:
            reached = list(dict.fromkeys(h["stage"] for h in v.get("history", [])))
            rows.append({"ref": f"{v['kind']}:{v['name']}@{v['number']}", "number": v["number"],
                         "created_at": v["created_at"], "metrics": dict(v.get("metrics") or {}),
                         "reached": reached, "stage": v.get("stage"), "retired": bool(v.get("retired"))})
        return MetricHistory(asset=r.asset, metrics=seen, rows=rows, stages=order)
