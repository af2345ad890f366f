"""Metric history across the versions of one asset, marking which versions reached which stage.

:class:`MetricHistory` draws itself as inline SVG (no JavaScript, no matplotlib needed); ``plot()`` gives a
matplotlib figure for those who want one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .html import STAGE_COLOURS, badge, esc, fmt, table

__all__ = ["MetricHistory"]

_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


@dataclass(frozen=True)
class MetricHistory:
    """``rows``: one per version: ref, number, created_at, metrics, reached (stages, in order), stage, retired."""

    asset: str
    metrics: list[str]
    rows: list[dict[str, Any]]
    stages: list[str]  # the asset kind's stage order

    def to_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "metrics": self.metrics, "stages": self.stages, "rows": self.rows}

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "ref": r["ref"],
                    "version": r["number"],
                    "stage": r["stage"],
                    "reached": r["reached"],
                    **{m: r["metrics"].get(m) for m in self.metrics},
                }
                for r in self.rows
            ]
        )

    def highest(self, row: dict[str, Any]) -> str | None:
        reached = [s for s in self.stages if s in row["reached"]]
        return reached[-1] if reached else None

    def __repr__(self) -> str:
        lines = [f"metric history of {self.asset} ({', '.join(self.metrics) or 'no metrics'})"]
        for r in self.rows:
            vals = ", ".join(f"{m}={fmt(r['metrics'][m])}" for m in self.metrics if m in r["metrics"])
            reached = f" reached {', '.join(r['reached'])}" if r["reached"] else ""
            lines.append(f"  @{r['number']}: {vals or '-'}{reached}{' [retired]' if r['retired'] else ''}")
        return "\n".join(lines)

    __str__ = __repr__

    def svg(self, width: int = 560, height: int = 220) -> str:
        pts = [
            (r["number"], r["metrics"][m], m, r)
            for r in self.rows
            for m in self.metrics
            if isinstance(r["metrics"].get(m), (int, float))
        ]
        if not pts:
            return "<i>no numeric metrics recorded</i>"
        xs = [p[0] for p in pts]
        ys = [float(p[1]) for p in pts]
        x0, x1 = min(xs), max(xs)
        y0, y1 = min(ys), max(ys)
        if y0 == y1:
            y0, y1 = y0 - 0.5, y1 + 0.5
        # margins wide enough for the labels they hold (about 6.2 px a character at 10 px), so none is clipped
        legend = [*self.metrics, *(f"reached {s}" for s in self.stages)]
        left = max(50, 10 + round(6.2 * max(len(fmt(y0)), len(fmt(y1)))))
        right = max(130, 34 + round(6.2 * max(map(len, legend))))
        top, bottom = 12, 28
        width = max(width, left + right + 120)
        height = max(height, top + bottom + 14 * (len(legend) + 2))
        pw, ph = width - left - right, height - top - bottom

        def sx(x: float) -> float:
            return left + (pw / 2 if x1 == x0 else (x - x0) / (x1 - x0) * pw)

        def sy(y: float) -> float:
            return top + ph - (y - y0) / (y1 - y0) * ph

        out = [
            f'<svg class="lifecycle-history-svg" xmlns="http://www.w3.org/2000/svg" width="{width}" '
            f'height="{height}" overflow="visible" fill="currentColor" '
            'style="font-family:system-ui,sans-serif;font-size:10px;color:inherit">',
            f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#999"/>',
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#999"/>',
            f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{esc(fmt(y1))}</text>',
            f'<text x="{left - 4}" y="{top + ph}" text-anchor="end">{esc(fmt(y0))}</text>',
        ]
        for n in sorted(set(xs)):
            out.append(f'<text x="{sx(n):.1f}" y="{top + ph + 14}" text-anchor="middle">@{n}</text>')
        for i, m in enumerate(self.metrics):
            colour = _PALETTE[i % len(_PALETTE)]
            mp = [(sx(p[0]), sy(float(p[1])), p[3]) for p in pts if p[2] == m]
            if len(mp) > 1:
                out.append(
                    '<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>'.format(
                        colour, " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in mp)
                    )
                )
            for x, y, r in mp:
                st = self.highest(r)
                fill = STAGE_COLOURS.get(st, "#0a58ca") if st else "#fff"
                tip = f"{r['ref']} {m}={fmt(r['metrics'][m])}" + (
                    f" reached {', '.join(r['reached'])}" if r["reached"] else ""
                )
                out.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{6 if st else 4}" fill="{fill}" '
                    f'stroke="{colour}" stroke-width="2"><title>{esc(tip)}</title></circle>'
                )
            out.append(f'<text x="{left + pw + 10}" y="{top + 12 + 14 * i}" fill="{colour}">{esc(m)}</text>')
        for j, s in enumerate(self.stages):
            yy = top + 12 + 14 * (len(self.metrics) + 1 + j)
            out.append(
                f'<circle cx="{left + pw + 14}" cy="{yy - 3}" r="5" fill="{STAGE_COLOURS.get(s, "#0a58ca")}"/>'
                f'<text x="{left + pw + 24}" y="{yy}">reached {esc(s)}</text>'
            )
        out.append("</svg>")
        return "".join(out)

    def _repr_html_(self) -> str:
        rows = [
            [
                f"@{r['number']}",
                " ".join(badge(s) for s in r["reached"]) + (" " + badge("retired") if r["retired"] else ""),
                *[esc(fmt(r["metrics"].get(m, "-"))) for m in self.metrics],
            ]
            for r in self.rows
        ]
        return (
            f'<div class="lifecycle-history"><b>Metric history of {esc(self.asset)}</b><br>{self.svg()}'
            f"<details><summary>values</summary>{table(['version', 'reached', *self.metrics], rows, raw=True)}"
            "</details></div>"
        )

    def plot(self, ax: Any = None) -> Any:
        """A matplotlib figure of the same data (imports matplotlib only when called)."""
        import matplotlib.pyplot as plt

        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 3))
        for m in self.metrics:
            pts = [
                (r["number"], r["metrics"][m], self.highest(r))
                for r in self.rows
                if isinstance(r["metrics"].get(m), (int, float))
            ]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=m)
            for x, y, st in pts:
                if st:
                    ax.scatter([x], [y], s=90, color=STAGE_COLOURS.get(st, "#0d6efd"), zorder=3)
        ax.set_xlabel("version")
        ax.set_title(f"{self.asset}")
        ax.legend()
        return fig if fig is not None else ax.figure
