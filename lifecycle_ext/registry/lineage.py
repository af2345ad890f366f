"""Lineage queries: inputs recorded at save time, linked both ways."""

from __future__ import annotations

from typing import Any

from ..core.errors import UsageInputError
from ..core.refs import exact_ref
from .context import Service
from .views.records import Lineage

__all__ = ["LineageService"]


class LineageService(Service):
    def _downstream_index(self) -> dict[str, list[str]]:
        st = self.ctx.state
        cached = self.ctx.caches.downstream
        if cached is not None and cached[0] == st["seq"]:
            return cached[1]
        down: dict[str, list[str]] = {}
        for a in st["assets"].values():
            for v in a["versions"]:
                me = exact_ref(v)
                for i in v.get("inputs", []):
                    down.setdefault(i, []).append(me)
        self.ctx.caches.downstream = (st["seq"], down)
        return down

    def lineage(self, ref: str, direction: str = "both", depth: int | None = None) -> Lineage:
        """Upstream (what this version was made from), downstream (what was made from it) or both."""
        if direction not in ("up", "down", "both"):
            raise UsageInputError(f"direction must be 'up', 'down' or 'both', not {direction!r}")
        if depth is not None and depth < 1:
            raise UsageInputError(f"depth must be a positive integer or None, not {depth!r}")
        root = self.ctx.exact(ref)
        down = self._downstream_index()
        edges: list[tuple[str, str]] = []
        nodes: dict[str, dict[str, Any]] = {}

        def visit(start: str, up: bool) -> None:
            frontier, level, seen = [start], 0, {start}
            while frontier and (depth is None or level < depth):
                nxt = []
                for n in frontier:
                    nbrs = self.ctx.resolve(n).get("inputs", []) if up else down.get(n, [])
                    for m in nbrs:
                        edge = (m, n) if up else (n, m)
                        if edge not in edges:
                            edges.append(edge)
                        if m not in seen:
                            seen.add(m)
                            nxt.append(m)
                frontier, level = nxt, level + 1

        if direction in ("up", "both"):
            visit(root, True)
        if direction in ("down", "both"):
            visit(root, False)
        for n in {root, *(x for e in edges for x in e)}:
            rec = self.ctx.resolve(n)
            nodes[n] = {
                "kind": rec["kind"],
                "name": rec["name"],
                "number": rec["number"],
                "stage": self.ctx.stage_of(rec),
                "retired": bool(rec.get("retired")),
            }
        return Lineage(root=root, direction=direction, nodes=nodes, edges=edges)
