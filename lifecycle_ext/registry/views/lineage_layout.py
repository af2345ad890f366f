"""Left-to-right layout of a :class:`Lineage` graph: columns by depth from the root, drawn as inline SVG.

Plain HTML/SVG, no JavaScript: renders on GitHub, nbviewer and in exported notebooks. The lineage widget uses
the same columns for its node buttons.
"""

from __future__ import annotations

from typing import Any

from .html import STAGE_COLOURS, esc

__all__ = ["columns", "lineage_svg", "node_label"]

_W, _H, _GX, _GY = 190, 46, 60, 14


def columns(lin: Any) -> list[list[str]]:
    """Nodes grouped by depth: upstream inputs to the left of the root, downstream outputs to the right."""
    depth: dict[str, int] = {lin.root: 0}
    for up in (True, False):
        frontier, level = [lin.root], 0
        while frontier:
            level += 1
            nxt = []
            for n in frontier:
                for a, b in lin.edges:
                    m = a if up and b == n else b if not up and a == n else None
                    if m is not None and m not in depth:
                        depth[m] = -level if up else level
                        nxt.append(m)
            frontier = nxt
    for n in lin.nodes:
        depth.setdefault(n, 0)
    lo, hi = min(depth.values()), max(depth.values())
    cols: list[list[str]] = [[] for _ in range(hi - lo + 1)]
    for n in sorted(depth, key=lambda x: (lin.nodes.get(x, {}).get("kind", ""), x)):
        cols[depth[n] - lo].append(n)
    return cols


def node_label(ref: str) -> tuple[str, str]:
    """(kind, name@version) of an exact ref."""
    kind, _, rest = ref.partition(":")
    return kind, rest


def lineage_svg(lin: Any, *, selected: str | None = None) -> str:
    cols = columns(lin)
    pos: dict[str, tuple[int, int]] = {}
    for i, col in enumerate(cols):
        for j, n in enumerate(col):
            pos[n] = (10 + i * (_W + _GX), 10 + j * (_H + _GY))
    width = 20 + len(cols) * (_W + _GX) - _GX
    height = 20 + max((len(c) for c in cols), default=1) * (_H + _GY) - _GY
    parts = [
        f'<svg class="lifecycle-lineage-svg" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" style="font-family:system-ui,sans-serif;'
        f'font-size:11px">',
        '<defs><marker id="lc-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#888"/></marker></defs>',
    ]
    for a, b in lin.edges:
        if a in pos and b in pos:
            (x1, y1), (x2, y2) = pos[a], pos[b]
            parts.append(
                f'<line x1="{x1 + _W}" y1="{y1 + _H // 2}" x2="{x2}" y2="{y2 + _H // 2}" '
                'stroke="#888" stroke-width="1.2" marker-end="url(#lc-arrow)"/>'
            )
    for n, (x, y) in pos.items():
        info = lin.nodes.get(n, {})
        kind, label = node_label(n)
        stage = info.get("stage")
        root = n == lin.root
        stroke = "#0d6efd" if n == selected else "#333" if root else "#aaa"
        parts.append(
            f'<g><title>{esc(n)}</title><rect x="{x}" y="{y}" width="{_W}" height="{_H}" rx="6" '
            f'fill="{"#eef4ff" if root else "#fff"}" stroke="{stroke}" stroke-width="{2 if root else 1}"/>'
            f'<text x="{x + 8}" y="{y + 15}" fill="#666">{esc(kind)}</text>'
            f'<text x="{x + 8}" y="{y + 32}" font-weight="bold" fill="#222">{esc(_clip(label))}</text>'
        )
        if stage or info.get("retired"):
            st = "retired" if info.get("retired") else stage
            colour = STAGE_COLOURS.get(st, "#0d6efd")
            parts.append(
                f'<rect x="{x + _W - 78}" y="{y + 5}" width="72" height="14" rx="7" fill="{colour}"/>'
                f'<text x="{x + _W - 42}" y="{y + 15}" fill="#fff" text-anchor="middle" '
                f'font-size="10">{esc(_clip(st, 12))}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, n: int = 28) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"
