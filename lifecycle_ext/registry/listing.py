"""Listing and browsing: the registry's summary, its assets, an asset's versions, filtered browsing and metric
history across versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from ..core.paging import decode_cursor, parse_since, take_page
from ..core.refs import exact_ref
from .context import Service
from .views.audit import AssetListing
from .views.metric_history import MetricHistory
from .views.records import RegistryInfo

__all__ = ["ListingService"]


class ListingService(Service):
    def versions(
        self, name: str, *, limit: int | None = None, since: str | None = None, cursor: str | None = None
    ) -> pd.DataFrame:
        """The versions of an asset as a DataFrame (``name`` is ``KIND:NAME`` or a unique ``NAME``), oldest
        first: those created after ``since``, one page of ``limit`` after ``cursor`` (``df.attrs["next"]``)."""
        import pandas as pd

        a = self.ctx.asset(self.ctx.asset_ref(name))
        when = parse_since(since)
        chosen = (v for v in a["versions"] if when is None or when.admits(v.get("seq"), v.get("created_at")))
        page, nxt = take_page(chosen, lambda v: v["number"], limit=limit, cursor=cursor)
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
            for v in page
        ]
        df = pd.DataFrame(rows)
        df.attrs["next"] = nxt
        return df

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

    def assets(
        self,
        kind: str | None = None,
        *,
        limit: int | None = None,
        since: str | None = None,
        cursor: str | None = None,
    ) -> pd.DataFrame:
        """Assets (optionally of one kind) as a DataFrame, by name: latest version, stages, tags, owner (who
        created the first version), the latest version's metrics and the time of the last change. ``since``
        keeps the assets changed after event #N (or at/after an ISO time); ``limit`` and ``cursor`` page
        (``df.attrs["next"]`` is the next page's cursor, None on the last)."""
        import pandas as pd

        st = self.ctx.state
        when = parse_since(since)
        touched = self._touched_since(when.seq) if when is not None and when.seq is not None else None

        def chosen() -> Any:
            for key in sorted(st["assets"]):
                a = st["assets"][key]
                if kind is not None and a["kind"] != kind:
                    continue
                if touched is not None and key not in touched:
                    continue
                if when is not None and when.at is not None and _changed_at(a) < when.at:
                    continue
                yield key, a

        page, nxt = take_page(chosen(), lambda item: item[0], limit=limit, cursor=cursor)
        rows = []
        for key, a in page:
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
                    "owner": a["versions"][0]["author"],
                    "metrics": dict(latest.get("metrics") or {}),
                    "changed_at": _changed_at(a),
                }
            )
        df = pd.DataFrame(rows, columns=[*_ASSET_COLUMNS])
        df.attrs["next"] = nxt
        return df

    def _touched_since(self, seq: int) -> set[str]:
        """Assets named by an event after #``seq`` (read from the log from there on)."""
        from .audit import refs_of

        out: set[str] = set()
        for e in self.ctx.log.events(seq + 1):
            for r in refs_of(e):
                out.add(r.split("@", 1)[0])
        return out

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
        self,
        kind: str | None = None,
        *,
        name: str | None = None,
        tag: str | None = None,
        metadata: str | None = None,
        limit: int | None = None,
        since: str | None = None,
        cursor: str | None = None,
    ) -> AssetListing:
        """Assets by kind with their versions and stages, filtered: ``name`` (substring of KIND:NAME),
        ``tag`` (exact) and ``metadata`` (``key`` or ``key=value``). An asset is listed with the versions that
        match; assets with none are left out. ``since`` keeps versions created after event #N (or at/after an
        ISO time); ``limit`` and ``cursor`` page by asset (``listing.next`` is the next page's cursor)."""
        st = self.ctx.state
        when = parse_since(since)
        after = decode_cursor(cursor) if cursor else None
        assets: list[dict[str, Any]] = []
        for key, a in sorted(st["assets"].items()):
            if kind and a["kind"] != kind:
                continue
            if limit is not None and len(assets) > limit:
                break
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
                and (when is None or when.admits(v.get("seq"), v.get("created_at")))
            ]
            if vs and (after is None or key > str(after)):
                assets.append(
                    {"asset": key, "kind": a["kind"], "name": a["name"], "stages": dict(a["stages"]), "versions": vs}
                )
        page, nxt = take_page(assets, lambda item: item["asset"], limit=limit, cursor=None)
        return AssetListing(
            filters={"kind": kind, "name": name, "tag": tag, "metadata": metadata},
            assets=page,
            next=nxt,
            kinds=sorted({a["kind"] for a in st["assets"].values()}),
        )


_ASSET_COLUMNS = (
    "asset",
    "kind",
    "name",
    "versions",
    "latest",
    "updated_at",
    "stages",
    "tags",
    "owner",
    "metrics",
    "changed_at",
)


def _changed_at(a: dict[str, Any]) -> str:
    """When the asset last changed: its newest version, or a stage entered or left since."""
    times: list[str] = [str(a["versions"][-1]["created_at"])]
    for v in a["versions"]:
        for h in v.get("history") or ():
            times += [str(t) for t in (h.get("entered"), h.get("left")) if t]
    return max(times)


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
