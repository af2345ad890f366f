"""Small HTML helpers for rich reprs. Every user-supplied string goes through :func:`esc`."""

from __future__ import annotations

import html
import json
from typing import Any

__all__ = ["esc", "badge", "table", "kv_table", "STAGE_COLOURS", "mark", "fmt"]

STAGE_COLOURS = {
    "development": "#6c757d",
    "draft": "#6c757d",
    "staging": "#8a6500",
    "validated": "#8a6500",
    "production": "#1e7e34",
    "retired": "#495057",
}
_STYLE = "font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:12px;border-collapse:collapse"


def esc(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else fmt(value), quote=True)


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
        return text if len(text) <= 200 else text[:197] + "..."
    return str(value)


def badge(stage: str | None) -> str:
    if not stage:
        return ""
    colour = STAGE_COLOURS.get(stage, "#0a58ca")
    return (
        f'<span class="lifecycle-badge" style="background:{colour};color:#fff;border-radius:8px;'
        f'padding:0 6px;font-size:11px">{esc(stage)}</span>'
    )


def mark(status: str) -> str:
    """A check's status as a chip: dark text on a light tint (readable in light and dark themes) and a glyph
    every font has (Debian's chromium draws no hourglass)."""
    glyph, ink, tint = {
        "pass": ("&#10004;", "#0b5d1e", "#e6ffed"),
        "fail": ("&#10008;", "#a1111f", "#ffeef0"),
        "pending": ("&#8230;", "#5c4300", "#fff5b1"),
    }.get(status, ("?", "#343a40", "#e9ecef"))
    return (
        f'<span class="lifecycle-mark" style="color:{ink};background:{tint};font-weight:bold;border-radius:6px;'
        f'padding:0 4px" title="{esc(status)}">{glyph} {esc(status)}</span>'
    )


def table(headers: list[str], rows: list[list[str]], *, raw: bool = False) -> str:
    """Rows are escaped unless ``raw`` (cells already rendered HTML)."""
    head = "".join(f'<th style="text-align:left;padding:2px 8px">{esc(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td style="padding:2px 8px;vertical-align:top">{c if raw else esc(c)}</td>' for c in r)
        + "</tr>"
        for r in rows
    )
    return f'<table style="{_STYLE}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def kv_table(pairs: list[tuple[str, Any]], *, raw_values: bool = False) -> str:
    rows = "".join(
        f'<tr><th style="text-align:left;padding:2px 8px;vertical-align:top">{esc(k)}</th>'
        f'<td style="padding:2px 8px">{v if raw_values else esc(v)}</td></tr>'
        for k, v in pairs
    )
    return f'<table style="{_STYLE}">{rows}</table>'
