"""A Hugging Face-style model card (``README.md``: YAML metadata, then sections) and the same facts as Google
Model Card Toolkit JSON (schema v0.0.2), both filled from the version's records: licence, datasets and their
lineage, label schema, metrics and gate evidence, intended and out-of-scope use, risks, known limitations,
approvals and deployment history.
"""

from __future__ import annotations

import json
from typing import Any

from . import ExportJob, ExportResult, write_text
from .facts import ExportFacts, spdx_id

__all__ = ["export_model_card", "card_markdown", "toolkit_json"]


def _y(v: Any) -> str:
    """A YAML scalar: JSON text is valid YAML."""
    return json.dumps(v, ensure_ascii=False)


def _as_list(v: Any) -> list[str]:
    if v is None or v == "":
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]


def _limitations(f: ExportFacts) -> list[str]:
    out: list[str] = []
    for ref in [f.ref]:
        dep = f.records[ref].deployment
        if dep and dep.get("known_limitations"):
            out.append(str(dep["known_limitations"]))
    for e in f.events_of(f.ref, "VersionPromoted"):
        lim = (e["data"].get("deployment") or {}).get("known_limitations")
        if lim and str(lim) not in out:
            out.append(str(lim))
    return out


def _deployments(f: ExportFacts) -> list[dict[str, Any]]:
    rows = []
    for h in f.history():
        if h["type"] in ("VersionPromoted", "RolledBack", "VersionRetired"):
            rows.append(h)
    return rows


def card_markdown(f: ExportFacts) -> str:
    rec = f.record
    lic = f.doc("licence")
    spdx = spdx_id(lic)
    datasets = f.datasets()
    metrics = rec.metrics
    lines = ["---"]
    lines.append(f"license: {_y(spdx.lower() if spdx else 'other')}")
    if lic and not spdx:
        lines.append(f"license_name: {_y(str(lic))}")
    lines.append("library_name: lifecycle_ext")
    lines.append(f"tags: {_y(['lifecycle-ext', rec.kind, *rec.tags])}")
    if datasets:
        lines.append(f"datasets: {_y(datasets)}")
    if metrics:
        lines.append(f"metrics: {_y(sorted(metrics))}")
    lines.append("model-index:")
    lines.append(f"- name: {_y(rec.name)}")
    lines.append("  results:")
    task = f.doc("task") or "other"
    for ds in datasets or [""]:
        lines.append(f"  - task: {{type: {_y(str(task))}}}")
        if ds:
            lines.append(f"    dataset: {{name: {_y(ds)}, type: {_y(ds.split('@', 1)[0])}}}")
        lines.append("    metrics:")
        for k, v in metrics.items():
            lines.append(f"    - {{type: {_y(k)}, value: {_y(v)}, name: {_y(k)}}}")
        if not metrics:
            lines[-1] = "    metrics: []"
    lines.append("---")
    lines.append("")
    lines.append(f"# {rec.name} (version {rec.number})")
    lines.append("")
    desc = f.doc("description")
    if desc:
        lines += [str(desc), ""]
    lines += [
        "## Model details",
        "",
        f"- Reference: `{f.ref}` in registry `{f.namespace}`",
        f"- Content hash: `{rec.content_hash}`; SHA-256: `{f.sha256_of(f.ref)}`",
        f"- Created {rec.created_at} by {rec.author}; stored as `{rec.object_type}`",
        f"- Licence: {lic or 'not recorded'}" + (f" (SPDX `{spdx}`)" if spdx else ""),
        f"- Stage: {rec.stage or ('retired' if rec.retired else 'none')}",
        "",
        "## Intended use",
        "",
        str(f.doc("intended_use") or "_Not recorded (metadata field `intended_use`)._"),
        "",
        "### Out-of-scope use",
        "",
        str(f.doc("out_of_scope_use") or "_Not recorded (metadata field `out_of_scope_use`)._"),
        "",
        "## Training data",
        "",
    ]
    for ds in datasets:
        d = f.records[ds]
        info = d.get("dataset") or {}
        lines.append(
            f"- `{ds}` ({d.summary.get('rows', '?')} rows; licence {f.doc('licence', ds) or 'not recorded'};"
            f" source: {info.get('source') or 'not recorded'}; key `{info.get('key')}`, labels"
            f" {', '.join(f'`{x}`' for x in info.get('labels', [])) or 'none'})"
        )
        up = f.upstream(ds)
        if up:
            lines.append(f"  - made from {', '.join(f'`{u}`' for u in up)}")
    if not datasets:
        lines.append("_No dataset is recorded as an input of this version._")
    for ls in f.label_schemas():
        classes = (f.records[ls].get("label_schema") or {}).get("classes", [])
        lines.append(f"- Label schema `{ls}`: classes {', '.join(f'`{c}`' for c in classes)}")
    lines += ["", "## Evaluation", ""]
    for k, v in metrics.items():
        lines.append(f"- {k}: {v}")
    if not metrics:
        lines.append("_No metrics recorded._")
    ev = f.gate_evidence()
    if ev:
        lines += ["", "### Gate evidence", "", "| stage | check | status | message |", "|---|---|---|---|"]
        for c in ev:
            lines.append(f"| {c['stage']} | {c['name']} ({c['type']}) | {c['status']} | {c['message']} |")
    lines += ["", "## Known limitations", ""]
    lines += [f"- {x}" for x in _limitations(f)] or ["_None recorded._"]
    lines += ["", "## Risks", ""]
    lines += [f"- {x}" for x in _as_list(f.doc("risks"))] or ["_None recorded (metadata field `risks`)._"]
    lines += ["", "## Approvals", ""]
    apps = f.approvals()
    lines += [f"- {a['user']} approved promotion to {a['to']} at {a['at']}: {a['reason']}" for a in apps] or [
        "_No approvals recorded._"
    ]
    lines += ["", "## Deployment history", ""]
    lines += [
        f"- {h['at']} {h['actor']}: {h['summary']}" + (f" ({h['reason']})" if h["reason"] else "")
        for h in _deployments(f)
    ] or ["_Never promoted._"]
    lines.append("")
    return "\n".join(lines)


def toolkit_json(f: ExportFacts) -> dict[str, Any]:
    """The Model Card Toolkit (schema v0.0.2) document."""
    rec = f.record
    lic = f.doc("licence")
    spdx = spdx_id(lic)
    licenses = [{"identifier": spdx}] if spdx else ([{"custom_text": str(lic)}] if lic else [])
    owners = [{"name": rec.author}]
    details: dict[str, Any] = {
        "name": rec.asset,
        "overview": str(f.doc("description") or f"{rec.asset} version {rec.number}"),
        "owners": owners,
        "version": {"name": str(rec.number), "date": rec.created_at[:10]},
        "path": f"{f.namespace}/{f.ref}",
    }
    if licenses:
        details["licenses"] = licenses
    if rec.parent is not None:
        details["version"]["diff"] = f"follows {rec.asset}@{rec.parent}"
    data = []
    for ds in f.datasets():
        d = f.records[ds]
        info = d.get("dataset") or {}
        data.append(
            {
                "name": ds,
                "description": f"{d.summary.get('rows', '?')} rows; source: {info.get('source') or 'not recorded'}; "
                f"licence: {f.doc('licence', ds) or 'not recorded'}; labels: {', '.join(info.get('labels', []))}"
                + (f"; label schema {info['schema']}" if info.get("schema") else ""),
            }
        )
    considerations: dict[str, Any] = {
        "use_cases": [{"description": x} for x in _as_list(f.doc("intended_use"))],
        "limitations": [{"description": x} for x in _limitations(f)]
        + [{"description": f"out of scope: {x}"} for x in _as_list(f.doc("out_of_scope_use"))],
        "ethical_considerations": [{"name": x} for x in _as_list(f.doc("risks"))],
        "users": [{"description": f"approved by {a['user']} for {a['to']} at {a['at']}"} for a in f.approvals()],
    }
    return {
        "schema_version": "0.0.2",
        "model_details": details,
        "model_parameters": {"model_architecture": str(rec.object_type), "data": data},
        "quantitative_analysis": {
            "performance_metrics": [{"type": k, "value": str(v)} for k, v in rec.metrics.items()],
        },
        "considerations": {k: v for k, v in considerations.items() if v},
    }


def export_model_card(job: ExportJob) -> ExportResult:
    md, mct = card_markdown(job.facts), toolkit_json(job.facts)
    if job.output is None:
        return ExportResult("model-card", job.facts.ref, document={"markdown": md, "model_card_toolkit": mct})
    paths = (
        write_text(job.output / "README.md", md),
        write_text(job.output / "model_card.json", json.dumps(mct, indent=2, ensure_ascii=False)),
    )
    return ExportResult("model-card", job.facts.ref, tuple(str(p) for p in paths))
