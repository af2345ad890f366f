"""Listing and browsing: the registry's summary, its assets, an asset's versions, filtered browsing and metric
history across versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from ..core.refs import exact_ref
from .context import Service
from .views.audit import AssetListing
from .views.metric_history import MetricHistory
from .views.records import RegistryInfo

__all__ = ["ListingService"]


class ListingService(Service):
    def versions(self, name: str) -> pd.DataFrame:
        """All versions of an asset as a DataFrame (``name`` is ``KIND:NAME`` or a unique ``NAME``)."""
        import pandas as pd

        a = self.ctx.asset(self.ctx.asset_ref(name))
        stage_of: dict[int, list[str]] = {}
        for s, n in a["stages"].items():
            stage_of.setdefault(n, []).append(s)
        rows = [
            {
                "ref": exact_ref(v),
                "version": v["number"],
                "stage": ",".join(stage_of.get(v["number"], [])) or None,
                "created_at": v["created_at"],
                "author": v["author"],
                "content_hash": v["content_hash"],
                "type": v["object_type"],
                "size": v.get("size", 0),
                "tags": list(v.get("tags", [])),
                "retired": bool(v.get("retired")),
                "note": v.get("note", ""),
                **{f"metric.{k}": m for k, m in (v.get("metrics") or {}).items()},
            }
            for v in a["versions"]
        ]
        return pd.DataFrame(rows)

    def info(self) -> RegistryInfo:
        """Where this registry is and what it holds."""
        st = self.ctx.state
        assets = [
            {
                "asset": k,
                "versions": len(a["versions"]),
                "latest": a["versions"][-1]["number"],
                "stages": dict(a["stages"]),
            }
            for k, a in sorted(st["assets"].items())
        ]
        return RegistryInfo(location=self.ctx.location, events=st["seq"] + 1, assets=assets)

    def assets(self, kind: str | None = None) -> pd.DataFrame:
        """Assets (optionally of one kind) as a DataFrame: latest version, stages, counts."""
        import pandas as pd

        rows = []
        for key, a in sorted(self.ctx.state["assets"].items()):
            if kind is not None and a["kind"] != kind:
                continue
            latest = a["versions"][-1]
            rows.append(
                {
                    "asset": key,
                    "kind": a["kind"],
                    "name": a["name"],
                    "versions": len(a["versions"]),
                    "latest": latest["number"],
                    "updated_at": latest["created_at"],
                    "stages": {s: n for s, n in a["stages"].items()},
                    "tags": sorted({t for v in a["versions"] for t in v.get("tags", [])}),
                }
            )
        return pd.DataFrame(
            rows, columns=["asset", "kind", "name", "versions", "latest", "updated_at", "stages", "tags"]
        )

    def metric_history(self, name: str, metric: str | list[str] | None = None) -> MetricHistory:
        """Metrics across the versions of asset ``name`` and the stages each version reached."""
        r = self.ctx.asset_ref(name)
        st = self.ctx.state
        a = self.ctx.asset(r, st)
        order = list(self.ctx.policy_in(st).stages_for(a["kind"]))
        seen: list[str] = []
        for v in a["versions"]:
            seen += [k for k in (v.get("metrics") or {}) if k not in seen]
        if metric is not None:
            wanted = [metric] if isinstance(metric, str) else list(metric)
            missing = [m for m in wanted if m not in seen]
            if missing:
                from ..core.errors import NotFound

                raise NotFound(
                    f"{r.asset} has no metric {', '.join(map(repr, missing))}; "
                    f"recorded metrics: {', '.join(seen) or 'none'}"
                )
            seen = wanted
        rows = []
        for v in a["versions"]:
            reached = list(dict.fromkeys(h["stage"] for h in v.get("history", [])))
            rows.append(
                {
                    "ref": exact_ref(v),
                    "number": v["number"],
                    "created_at": v["created_at"],
                    "metrics": dict(v.get("metrics") or {}),
                    "reached": reached,
                    "stage": v.get("stage"),
                    "retired": bool(v.get("retired")),
                }
            )
        return MetricHistory(asset=r.asset, metrics=seen, rows=rows, stages=order)

    def browse(
        self, kind: str | None = None, *, name: str | None = None, tag: str | None = None, metadata: str | None = None
    ) -> AssetListing:
        """Assets by kind with their versions and stages, filtered: ``name`` (substring of KIND:NAME),
        ``tag`` (exact) and ``metadata`` (``key`` or ``key=value``). An asset is listed with the versions that
        match; assets with none are left out."""
        st = self.ctx.state
        assets = []
        for key, a in sorted(st["assets"].items()):
            if kind and a["kind"] != kind:
                continue
            vs = [
                {
                    "ref": f"{key}@{v['number']}",
                    "number": v["number"],
                    "stage": v.get("stage"),
                    "retired": bool(v.get("retired")),
                    "created_at": v["created_at"],
                    "author": v["author"],
                    "tags": list(v.get("tags") or []),
                    "metrics": dict(v.get("metrics") or {}),
                    "metadata": dict(v.get("metadata") or {}),
                    "note": v.get("note") or "",
                }
                for v in a["versions"]
                if _matches(v, name, tag, metadata, key)
            ]
            if vs:
                assets.append(
                    {"asset": key, "kind": a["kind"], "name": a["name"], "stages": dict(a["stages"]), "versions": vs}
                )
        return AssetListing(
            filters={"kind": kind, "name": name, "tag": tag, "metadata": metadata},
            assets=assets,
            kinds=sorted({a["kind"] for a in st["assets"].values()}),
        )


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
