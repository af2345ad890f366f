"""Service methods returning views made for looking at: the rich audit trail and metric history."""

from __future__ import annotations

from typing import Any

from .audit_view import AssetListing, AuditTrail
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

    def browse(self, kind: str | None = None, *, name: str | None = None, tag: str | None = None,
               metadata: str | None = None) -> AssetListing:
        """Assets by kind with their versions and stages, filtered: ``name`` (substring of KIND:NAME),
        ``tag`` (exact) and ``metadata`` (``key`` or ``key=value``). An asset is listed with the versions that
        match; assets with none are left out."""
        st = self.state  # type: ignore[attr-defined]
        assets = []
        for key, a in sorted(st["assets"].items()):
            if kind and a["kind"] != kind:
                continue
            vs = [{"ref": f"{key}@{v['number']}", "number": v["number"], "stage": v.get("stage"),
                   "retired": bool(v.get("retired")), "created_at": v["created_at"], "author": v["author"],
                   "tags": list(v.get("tags") or []), "metrics": dict(v.get("metrics") or {}),
                   "metadata": dict(v.get("metadata") or {}), "note": v.get("note") or ""}
                  for v in a["versions"] if _matches(v, name, tag, metadata, key)]
            if vs:
                assets.append({"asset": key, "kind": a["kind"], "name": a["name"], "stages": dict(a["stages"]),
                               "versions": vs})
        return AssetListing(filters={"kind": kind, "name": name, "tag": tag, "metadata": metadata}, assets=assets,
                            kinds=sorted({a["kind"] for a in st["assets"].values()}))


def _matches(v: dict[str, Any], name: str | None, tag: str | None, metadata: str | None, asset: str) -> bool:
    if name and name.lower() not in asset.lower():
        return False
    if tag and tag not in (v.get("tags") or []):
        return False
    if metadata:
        key, eq, want = metadata.partition("=")
        md = v.get("metadata") or {}
        if key.strip() not in md:
            return False
        if eq and str(md[key.strip()]) != want.strip():
            return False
    return True
