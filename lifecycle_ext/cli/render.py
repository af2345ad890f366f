"""Render command results as text for people at a terminal (``--json`` goes through
:mod:`lifecycle_ext.registry.serialize` for machines).

Lists and records get their own layouts: ``show`` the whole record, one field a line; ``audit`` one line per
event, wrapped to the terminal's width; ``permissions``, ``environment`` and ``pending`` as labelled lines,
never Python reprs. Everything else prints its view's text (``str``) or a DataFrame's table.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["render_text", "to_json", "RENDERERS", "terminal_width"]


def to_json(result: Any) -> str:
    """``result`` as JSON text through the one serializer (no action shape: see ``Command.to_json``)."""
    from ..registry.serialize import dumps, jsonable

    return dumps(jsonable(result))


def terminal_width() -> int:
    """The terminal's width (``$COLUMNS`` when set), at least 40; 100 when not a terminal."""
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def render_text(result: Any, action: str | None = None) -> str:
    """``result`` of catalogue action ``action`` as text for a person."""
    render = RENDERERS.get(action or "")
    if render is not None:
        return render(result)
    if hasattr(result, "to_string") and hasattr(result, "columns"):
        return result.to_string(index=False) if len(result) else "(none)"
    if isinstance(result, Mapping):
        return _mapping(result)
    return str(result) if not isinstance(result, str) else result


# -- helpers --------------------------------------------------------------------------------------------
def _value(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_value(x) for x in v) if all(not isinstance(x, (dict, list)) for x in v) else _json(v)
    if isinstance(v, dict):
        return _json(v)
    return str(v)


def _json(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False, default=str, separators=(", ", ": "))


def _wrap(label: str, text: str, width: int, pad: int) -> list[str]:
    """``label`` padded to ``pad`` columns, then ``text`` wrapped to ``width`` with a hanging indent."""
    body = textwrap.wrap(
        text, width=max(20, width - pad), break_long_words=True, break_on_hyphens=False, replace_whitespace=False
    ) or [""]
    return [f"{label:<{pad}}{body[0]}", *(" " * pad + line for line in body[1:])]


def _mapping(d: Mapping[str, Any], indent: int = 0, width: int | None = None) -> str:
    """Nested mappings as ``key: value`` lines, indented; long values wrapped."""
    width = width or terminal_width()
    lines: list[str] = []
    keys = [str(k) for k in d]
    pad = min(28, max((len(k) for k in keys), default=0) + 2)
    for k, v in d.items():
        if isinstance(v, Mapping) and v:
            lines.append(" " * indent + f"{k}:")
            lines.append(_mapping(v, indent + 2, width))
        else:
            lines += _wrap(" " * indent + f"{k}:", _value(v), width, indent + pad)
    return "\n".join(lines)


# -- per action -----------------------------------------------------------------------------------------
def _version(v: Any) -> str:
    """The whole record, one field a line."""
    width = terminal_width()
    stage = f"  [{v.stage}]" if v.stage else ""
    lines = [f"{v.ref}{stage}{'  [retired]' if v.retired else ''}"]
    fields: list[tuple[str, Any]] = [
        ("created", f"{v.created_at} by {v.author}"),
        ("content", f"{v.object_type}, {v.size:,} bytes" + (f" ({v.new_bytes:,} new)" if v.new_bytes else "")),
        ("hash", v.content_hash),
        ("parent", v.parent or "-"),
        ("tags", ", ".join(v.tags) or "-"),
        ("inputs", ", ".join(v.inputs) or "-"),
        ("note", v.note or "-"),
    ]
    for label, text in fields:
        lines += _wrap(f"  {label}:", str(text), width, 12)
    for label, bag in (("params", v.params), ("metrics", v.metrics), ("metadata", v.metadata), ("summary", v.summary)):
        if bag:
            lines.append(f"  {label}:")
            lines.append(_mapping(bag, 4, width))
    if v.record:
        lines.append("  creation record:")
        lines.append(_mapping(v.record, 4, width))
    return "\n".join(lines)


def _audit(df: Any) -> str:
    """One line per event (``#seq time actor action ref from -> to: reason``), wrapped to the terminal."""
    if not len(df):
        return "(no events)"
    width = terminal_width()
    out = []
    for r in df.itertuples(index=False):
        frm, to = _missing(r.from_stage), _missing(r.to_stage)
        move = f" {frm or '-'} -> {to}" if to else ""
        ref = _missing(r.ref)
        reason = f": {r.reason}" if _missing(r.reason) else ""
        head = f"#{r.seq} {str(r.time)[:19]} {r.actor}"
        pad = len(head) + 1
        text = f"{r.action}{' ' + ref if ref else ''}{move}{reason}"
        out += _wrap(head + " ", text, width, min(pad, width // 2))
    return "\n".join(out)


def _missing(v: Any) -> Any:
    return None if v is None or (isinstance(v, float) and v != v) else v


def _permissions(p: Mapping[str, Any]) -> str:
    width = terminal_width()
    lines = [
        f"user:   {p.get('user')} (roles: {', '.join(p.get('roles') or []) or 'none'})",
        f"stages: {', '.join(p.get('stages') or []) or '-'} (target: {p.get('to') or '-'};"
        f" deploys at: {p.get('deploy_stage') or '-'})",
        "actions:",
    ]
    actions = p.get("actions") or {}
    pad = max((len(a) for a in actions), default=0) + 4
    for name, verdict in actions.items():
        yes = "yes" if verdict.get("allowed") else "no "
        why = f"  {verdict['reason']}" if verdict.get("reason") else ""
        lines += _wrap(f"  {name:<{pad - 2}}", f"{yes}{why}", width, pad)
    return "\n".join(lines)


def _pending(df: Any) -> str:
    if not len(df):
        return "nothing pending"
    width = terminal_width()
    out = []
    for r in df.to_dict(orient="records"):
        who = f" requested by {r['requested_by']} at {str(r['requested_at'])[:19]}" if r.get("requested_by") else ""
        out.append(f"{r['ref']} -> {r['to']} ({r['kind']}): {r['status']}{who}")
        for label in ("approved_by", "rejected_by"):
            if r.get(label):
                out += _wrap(f"    {label.replace('_', ' ')}:", ", ".join(r[label]), width, 18)
        if r.get("ready_at"):
            out.append(f"    ready at:     {r['ready_at']}")
        for w in r.get("waiting_on") or []:
            out += _wrap("    waiting on:", str(w), width, 18)
    return "\n".join(out)


def _assets(df: Any) -> str:
    """The asset table with stages and metrics as text (``production v3``, ``accuracy=0.93``), not reprs."""
    if not len(df):
        return "(no assets)"
    view = df.copy()
    view["stages"] = [", ".join(f"{s} v{n}" for s, n in (st or {}).items()) or "-" for st in df["stages"]]
    view["tags"] = [", ".join(t) or "-" for t in df["tags"]]
    if "metrics" in df:
        view["metrics"] = [", ".join(f"{k}={_value(v)}" for k, v in (m or {}).items()) or "-" for m in df["metrics"]]
    for col in ("updated_at", "changed_at"):
        if col in df:
            view[col] = [str(t)[:19].replace("T", " ") for t in df[col]]
    return str(view.to_string(index=False))


def _environment(env: Mapping[str, Any]) -> str:
    return _mapping(env) if env else "(no environment recorded)"


#: action name -> its text layout
RENDERERS: dict[str, Callable[[Any], str]] = {
    "get": _version,
    "assets": _assets,
    "audit": _audit,
    "permissions": _permissions,
    "pending": _pending,
    "environment": _environment,
}
