"""Lineage queries: inputs recorded at save time, linked both ways."""

from __future__ import annotations

from typing import Any

from ..core.errors import UsageInputError
from .views import Lineage

__all__ = ["LineageMixin"]


class LineageMixin:
    _down_cache: tuple[int, dict[str, list[str]]] | None = None

    def _downstream_index(self) -> dict[str, list[str]]:
        st = self.state  # type: ignore[attr-defined]
        if self._down_cache is not None and self._down_cache[0] == st["seq"]:
            return self._down_cache[1]
        down: dict[str, list[str]] = {}
        for a in st["assets"].values():
            for v in a["versions"]:
                me = f"{v['kind']}:{v['name']}@{v['number']}"
                for i in v.get("inputs", []):
                    down.setdefault(i, []).append(me)
        self._down_cache = (st["seq"], down)
        return down

    def _exact(self, ref: str) -> str:
        rec = self._resolve(ref)  # type: ignore[attr-defined]
        return f"{rec['kind']}:{rec['name']}@{rec['number']}"

    def lineage(self, ref: str, direction: str = "both", depth: int | None = None) -> Lineage:
        """Upstream (what this version was made from), downstream (what was made from it) or both."""
        if direction not in ("up", "down", "both"):
            raise UsageInputError(f"direction must be 'up', 'down' or 'both', not {direction!r}")
        if depth is not None and depth < 1:
            raise UsageInputError(f"depth must be a positive integer or None, not {depth!r}")
        root = self._exact(ref)
        down = self._downstream_index()
        edges: list[tuple[str, str]] = []
        nodes: dict[str, dict[str, Any]] = {}

        def visit(start: str, up: bool) -> None:
            frontier, level, seen = [start], 0, {start}
            while frontier and (depth is None or level < depth):
                nxt = []
                for n in frontier:
                    nbrs = self._resolve(n).get("inputs", []) if up else down.get(n, [])  # type: ignore[attr-defined]
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
            rec = self._resolve(n)  # type: ignore[attr-defined]
            nodes[n] = {"kind": rec["kind"], "name": rec["name"], "number": rec["number"],
                        "stage": self._stage_of(rec), "retired": bool(rec.get("retired"))}  # type: ignore[attr-defined]
        return Lineage(root=root, direction=direction, nodes=nodes, edges=edges)
