"""Search over versions: one query language (:mod:`lifecycle_ext.core.query`) over params, metrics, metadata,
kind, name, stage, author, dates, tags and lineage."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..core.paging import take_page
from ..core.query import matches, parse
from ..core.refs import exact_ref
from .context import Service
from .views.search import SearchResult

__all__ = ["SearchService"]


class SearchService(Service):
    def search(self, query: str, *, limit: int | None = None, cursor: str | None = None) -> SearchResult:
        """The versions matching ``query``, ordered by asset then version number, paged by ``limit`` and the
        ``cursor`` of the previous page. A malformed query raises ``QueryError`` naming the column."""
        node = parse(query)
        st = self.ctx.state
        by_ref: dict[str, Mapping[str, Any]] = {}
        for a in st["assets"].values():
            for v in a["versions"]:
                by_ref[exact_ref(v)] = v
        down = self.svc.lineage._downstream_index()

        def upstream(rec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
            return [by_ref[i] for i in rec.get("inputs") or () if i in by_ref]

        def downstream(rec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
            return [by_ref[d] for d in down.get(exact_ref(rec), ()) if d in by_ref]

        def hits() -> Iterator[Mapping[str, Any]]:
            for key in sorted(st["assets"]):
                for v in st["assets"][key]["versions"]:
                    if matches(node, v, upstream=upstream, downstream=downstream):
                        yield v

        page, nxt = take_page(hits(), lambda v: [f"{v['kind']}:{v['name']}", v["number"]], limit=limit, cursor=cursor)
        return SearchResult(query=query, rows=[_row(v) for v in page], next=nxt)


def _row(v: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ref": exact_ref(v),
        "kind": v["kind"],
        "name": v["name"],
        "number": v["number"],
        "stage": v.get("stage"),
        "author": v.get("author"),
        "created_at": v.get("created_at"),
        "tags": list(v.get("tags") or []),
        "params": dict(v.get("params") or {}),
        "metrics": dict(v.get("metrics") or {}),
        "metadata": dict(v.get("metadata") or {}),
        "inputs": list(v.get("inputs") or []),
        "retired": bool(v.get("retired")),
    }
