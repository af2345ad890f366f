"""View models for diffs and label-schema impact: plain data, text and HTML reprs, ``to_dict`` for JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ...core.refs import exact_ref
from .html import esc, kv_table, table

__all__ = ["Diff", "SchemaImpact"]

_ADD, _DEL, _CHG = "#e6ffed", "#ffeef0", "#fff5b1"
# dark text on every tint, so a chip reads on a light page and on JupyterLab's dark theme alike (>= 7:1)
_INK = {_ADD: "#0b3d1a", _DEL: "#6e0b14", _CHG: "#4a3800"}


def _span(text: Any, colour: str) -> str:
    return f'<span style="background:{colour};color:{_INK[colour]};padding:0 3px">{esc(text)}</span>'


def _dict_rows(d: dict[str, Any]) -> list[list[str]]:
    rows = [[esc(k), "", _span(v, _ADD)] for k, v in d.get("added", {}).items()]
    rows += [[esc(k), _span(v, _DEL), ""] for k, v in d.get("removed", {}).items()]
    rows += [[esc(k), _span(o, _DEL), _span(n, _ADD)] for k, (o, n) in d.get("changed", {}).items()]
    return rows


def _unified_html(text: str) -> str:
    lines = []
    for line in text.splitlines():
        colour = (
            _ADD
            if line.startswith("+") and not line.startswith("+++")
            else _DEL
            if line.startswith("-") and not line.startswith("---")
            else None
        )
        lines.append(
            f'<span style="background:{colour};color:{_INK[colour]}">{esc(line)}</span>' if colour else esc(line)
        )
    return '<pre style="font-size:11px;margin:0">' + "\n".join(lines) + "</pre>"


@dataclass(frozen=True)
class Diff:
    """What changed from version ``a`` to version ``b``. ``sections`` is JSON-able; for datasets the full
    row-level delta is kept in memory so :meth:`apply` can rebuild B from A."""

    a: str
    b: str
    kind: str
    sections: dict[str, Any]
    delta: Any = field(default=None, repr=False, compare=False)

    @property
    def changed(self) -> bool:
        return bool(self.sections.get("types") or self.sections.get("summary_changed"))

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b, "kind": self.kind, "sections": self.sections}

    def apply(self, df_a: Any) -> Any:
        """Dataset diffs only: apply the recorded changes to A's DataFrame, giving B (with a RangeIndex)."""
        from ...analysis.frame_diff import apply_delta
        from ...core.errors import UsageInputError

        if self.delta is None:
            raise UsageInputError(
                f"this {self.kind} diff carries no row-level changes to apply "
                "(only dataset versions with a key column do)"
            )
        return apply_delta(df_a, self.delta)

    # -- text ------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        s = self.sections
        lines = [f"Diff {self.a} -> {self.b} ({self.kind})"]
        if "types" in s:
            lines.append("  changes: " + (", ".join(s["types"]) or "none"))
        if self.kind == "dataset" and "rows" in s:
            lines.append(f"  rows: {s['rows']['before']} -> {s['rows']['after']}")
            for k in ("additive", "removal", "corrective"):
                if s.get(k, {}).get("count"):
                    lines.append(f"  {k}: {s[k]['count']}")
            for c, n in s.get("feature_edits", {}).items():
                lines.append(f"  feature edit {c}: {n} cells")
        for k in ("params", "env"):
            d = s.get(k) or {}
            for name, v in d.get("added", {}).items():
                lines.append(f"  {k} + {name}={v}")
            for name, v in d.get("removed", {}).items():
                lines.append(f"  {k} - {name}={v}")
            for name, (o, n) in d.get("changed", {}).items():
                lines.append(f"  {k} ~ {name}: {o} -> {n}")
        for m in s.get("metrics", []):
            if m["delta"]:
                lines.append(
                    f"  metric {m['metric']}: {m['old']} -> {m['new']} ({m['direction']}"
                    f"{', better' if m['better'] else ', worse' if m['better'] is False else ''})"
                )
        for i in s.get("inputs", []):
            lines.append(f"  input {i['change']}: {i['old'] or '-'} -> {i['new'] or '-'}")
        for c in s.get("class_changes", []):
            flag = " [retroactive]" if c["retroactive"] else ""
            lines.append(f"  {c['type']}: {', '.join(c['old']) or '-'} -> {', '.join(c['new']) or '-'}{flag}")
        if s.get("source"):
            lines.append(s["source"].rstrip())
        if "chunks" in s:
            ch = s["chunks"]
            lines.append(f"  chunks changed: {ch['changed']}/{ch['total']} ({ch['fraction']:.1%})")
        return "\n".join(lines)

    # -- HTML ------------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        s = self.sections
        pairs: list[tuple[str, Any]] = []
        if "types" in s:
            pairs.append(("changes", esc(", ".join(s["types"]) or "none")))
        if self.kind == "dataset" and "rows" in s:
            pairs.append(("rows", f"{esc(s['rows']['before'])} &rarr; {esc(s['rows']['after'])}"))
            if s.get("additive", {}).get("count"):
                ad = s["additive"]
                pairs.append(
                    (
                        "added rows",
                        _span(f"+{ad['count']}", _ADD) + f" source: {esc(ad.get('source'))} "
                        f"labels: {esc(ad.get('label_distribution'))}",
                    )
                )
            if s.get("removal", {}).get("count"):
                rm = s["removal"]
                pairs.append(
                    ("removed rows", _span(f"-{rm['count']}", _DEL) + " keys: " + esc(rm.get("keys", [])[:20]))
                )
            if s.get("corrective", {}).get("count"):
                co = s["corrective"]
                pairs.append(("corrected labels", _span(co["count"], _CHG) + " " + esc(co.get("transitions"))))
            if s.get("feature_edits"):
                pairs.append(
                    (
                        "feature edits",
                        table(["column", "cells changed"], [[c, n] for c, n in s["feature_edits"].items()]),
                    )
                )
            sch = s.get("schema") or {}
            if any(sch.get(k) for k in ("added", "removed", "dtype_changed", "label_categories", "label_schema")):
                pairs.append(("schema", esc(sch)))
            for col, rows in (s.get("samples", {}).get("changed") or {}).items():
                body = table(
                    ["key", "old", "new"], [[esc(k), _span(o, _DEL), _span(n, _ADD)] for k, o, n in rows], raw=True
                )
                pairs.append((f"sample changes: {col}", body))
        for label, key in (
            ("params", "params"),
            ("environment", "env"),
            ("metadata", "metadata"),
            ("summary", "summary"),
        ):
            d = s.get(key)
            if isinstance(d, dict) and any(d.get(k) for k in ("added", "removed", "changed")):
                pairs.append((label, table(["key", self.a, self.b], _dict_rows(d), raw=True)))
        if s.get("env_note"):
            pairs.append(("environment", esc(s["env_note"])))
        if s.get("metrics"):
            rows = []
            for m in s["metrics"]:
                colour = _ADD if m["better"] else _DEL if m["better"] is False else None
                delta = _span(m["delta"], colour) if colour else esc(m["delta"] if m["delta"] is not None else "")
                arrow = {"up": "&#9650;", "down": "&#9660;", "same": "="}.get(m["direction"] or "", "")
                rows.append([esc(m["metric"]), esc(m["old"]), esc(m["new"]), f"{arrow} {delta}"])
            pairs.append(("metrics", table(["metric", self.a, self.b, "delta"], rows, raw=True)))
        if s.get("inputs"):
            pairs.append(
                (
                    "inputs",
                    table(
                        ["asset", "change", self.a, self.b],
                        [[i["asset"], i["change"], i["old"] or "-", i["new"] or "-"] for i in s["inputs"]],
                    ),
                )
            )
        if s.get("source"):
            pairs.append(("source", _unified_html(s["source"])))
        if s.get("class_changes"):
            rows = [
                [
                    esc(c["type"]),
                    esc(", ".join(c["old"])),
                    esc(", ".join(c["new"])),
                    _span("retroactive", _DEL) if c["retroactive"] else "additive",
                    esc(c.get("detail", "")),
                ]
                for c in s["class_changes"]
            ]
            pairs.append(("class changes", table(["change", "old", "new", "effect", "detail"], rows, raw=True)))
        if s.get("impact"):
            pairs.append(("impact", SchemaImpact.from_dict(s["impact"]).body_html()))
        if "chunks" in s:
            ch = s["chunks"]
            pairs.append(("chunks changed", f"{esc(ch['changed'])} / {esc(ch['total'])} ({ch['fraction']:.1%})"))
        head = f"<b>Diff</b> <code>{esc(self.a)}</code> &rarr; <code>{esc(self.b)}</code> ({esc(self.kind)})"
        body = kv_table(pairs, raw_values=True) if pairs else "<i>no differences</i>"
        return f'<div class="lifecycle-diff">{head}{body}</div>'


@dataclass(frozen=True)
class SchemaImpact:
    """Who is affected by a label-schema version's retroactive changes."""

    schema: str
    previous: str | None
    changes: list[dict[str, Any]]
    affected_classes: list[str]
    datasets: list[dict[str, Any]]
    models: list[dict[str, Any]]

    @classmethod
    def build(
        cls, rec: dict[str, Any], changes: list[dict[str, Any]], affected: list[str], rows: tuple[list[Any], list[Any]]
    ) -> SchemaImpact:
        """The impact view of label-schema version ``rec``; ``rows`` are (datasets, models) affected."""
        datasets, models = rows
        prev = (rec.get("label_schema") or {}).get("previous")
        return cls(
            schema=exact_ref(rec),
            previous=prev,
            changes=list(changes),
            affected_classes=list(affected),
            datasets=datasets,
            models=models,
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SchemaImpact:
        return cls(**d)

    @property
    def retroactive(self) -> bool:
        return any(c["retroactive"] for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "previous": self.previous,
            "changes": self.changes,
            "affected_classes": self.affected_classes,
            "datasets": self.datasets,
            "models": self.models,
        }

    def __repr__(self) -> str:
        lines = [
            f"Impact of {self.schema}: retroactive={self.retroactive}, affected classes: "
            f"{', '.join(self.affected_classes) or 'none'}"
        ]
        lines += [
            f"  dataset {d['dataset']} ({d['schema']}): {d['affected_samples']} samples {json.dumps(d['samples'])}"
            for d in self.datasets
        ]
        lines += [
            f"  model {m['model']} trained on {', '.join(m['trained_on'])}: "
            f"{'LIVE at ' + m['stage'] if m.get('live') else 'at ' + (m.get('stage') or 'no stage')}"
            for m in self.models
        ]
        return "\n".join(lines)

    def body_html(self) -> str:
        ds = (
            table(
                ["dataset", "labeled under", "affected samples", "per class", "models"],
                [
                    [d["dataset"], d["schema"], d["affected_samples"], d["samples"], ", ".join(d["models"])]
                    for d in self.datasets
                ],
            )
            if self.datasets
            else "<i>no dataset versions labeled under earlier versions</i>"
        )
        ms = (
            table(
                ["model", "trained on", "stage now", "live"],
                [
                    [m["model"], ", ".join(m["trained_on"]), m.get("stage") or "-", "yes" if m.get("live") else ""]
                    for m in self.models
                ],
            )
            if self.models
            else "<i>no models trained on them</i>"
        )
        return f"{ds}{ms}"

    def _repr_html_(self) -> str:
        head = (
            f"<b>Impact of</b> <code>{esc(self.schema)}</code>: affected classes "
            f"{esc(', '.join(self.affected_classes) or 'none')}"
        )
        return f'<div class="lifecycle-impact">{head}{self.body_html()}</div>'
