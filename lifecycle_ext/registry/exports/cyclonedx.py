"""A CycloneDX 1.6 ML-BOM (https://cyclonedx.org/docs/1.6/json/): the model as a ``machine-learning-model``
component with its model card, the datasets and label schemas it was made from as ``data`` components, SHA-256
digests of every version's stored bytes, SPDX licence ids (a licence name when the text is no SPDX id), and the
dependency graph of the lineage.
"""

from __future__ import annotations

import json
from typing import Any

from . import ExportJob, ExportResult, write_text
from .facts import ExportFacts, spdx_id

__all__ = ["export_cyclonedx", "bom"]


def _licenses(lic: Any) -> list[dict[str, Any]]:
    if not lic:
        return []
    spdx = spdx_id(lic)
    return [{"license": {"id": spdx}}] if spdx else [{"license": {"name": str(lic)}}]


def _as_list(v: Any) -> list[str]:
    if v is None or v == "":
        return []
    return [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)]


def _component(f: ExportFacts, ref: str) -> dict[str, Any]:
    rec = f.records[ref]
    comp: dict[str, Any] = {
        "type": "machine-learning-model" if rec.kind == "model" else "data",
        "bom-ref": ref,
        "name": rec.asset,
        "version": str(rec.number),
        "hashes": [{"alg": "SHA-256", "content": f.sha256_of(ref)}],
        "properties": [
            {"name": "lifecycle:content_hash", "value": rec.content_hash},
            {"name": "lifecycle:created_at", "value": rec.created_at},
            {"name": "lifecycle:author", "value": rec.author},
            {"name": "lifecycle:stage", "value": rec.stage or ("retired" if rec.retired else "none")},
        ],
    }
    desc = f.doc("description", ref)
    if desc:
        comp["description"] = str(desc)
    lic = _licenses(f.doc("licence", ref))
    if lic:
        comp["licenses"] = lic
    if rec.kind != "model":
        info = rec.get("dataset") or {}
        data: dict[str, Any] = {
            "type": "dataset" if rec.kind == "dataset" else "other",
            "name": rec.asset,
            "contents": {"properties": [{"name": "object_type", "value": str(rec.object_type)}]},
        }
        rows = rec.summary.get("rows") if isinstance(rec.summary, dict) else None
        if rows is not None:
            data["contents"]["properties"].append({"name": "rows", "value": str(rows)})
        if info.get("source"):
            data["description"] = f"source: {info['source']}"
        if rec.metadata.get("pii"):
            data["sensitiveData"] = ["personal data (metadata pii=true)"]
        comp["data"] = [data]
    else:
        comp["modelCard"] = _model_card(f, ref)
    return comp


def _model_card(f: ExportFacts, ref: str) -> dict[str, Any]:
    rec = f.records[ref]
    datasets = [r for r in f.upstream(ref) if f.records[r].kind in ("dataset", "label_schema")]
    card: dict[str, Any] = {
        "modelParameters": {"datasets": [{"ref": r} for r in datasets]},
        "quantitativeAnalysis": {
            "performanceMetrics": [{"type": k, "value": str(v)} for k, v in rec.metrics.items()],
        },
    }
    task = f.doc("task", ref)
    if task:
        card["modelParameters"]["task"] = str(task)
    lims = []
    dep = rec.deployment
    if dep and dep.get("known_limitations"):
        lims.append(str(dep["known_limitations"]))
    cons: dict[str, Any] = {
        "useCases": _as_list(f.doc("intended_use", ref)),
        "technicalLimitations": lims + [f"out of scope: {x}" for x in _as_list(f.doc("out_of_scope_use", ref))],
        "ethicalConsiderations": [{"name": x} for x in _as_list(f.doc("risks", ref))],
        "users": sorted({a["user"] for a in f.approvals(ref)}),
    }
    card["considerations"] = {k: v for k, v in cons.items() if v}
    return card


def bom(f: ExportFacts) -> dict[str, Any]:
    refs = [f.ref, *(r for r in f.records if r != f.ref)]
    deps = []
    for r in refs:
        ins = [i for i in f.records[r].inputs if i in f.records]
        info = f.records[r].get("dataset") or {}
        if info.get("schema") in f.records and info["schema"] not in ins:
            ins.append(info["schema"])
        deps.append({"ref": r, "dependsOn": ins})
    return {
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:" + f.uuid_for("cyclonedx", f.ref, f.exported_at),
        "version": 1,
        "metadata": {
            "timestamp": f.exported_at,
            "tools": {
                "components": [{"type": "application", "name": "lifecycle-ext", "version": f.package_version or "0"}]
            },
            "component": _component(f, f.ref),
            "properties": [{"name": "lifecycle:registry", "value": f.namespace}],
        },
        "components": [_component(f, r) for r in refs[1:]],
        "dependencies": deps,
    }


def export_cyclonedx(job: ExportJob) -> ExportResult:
    doc = bom(job.facts)
    summary = {"components": 1 + len(doc["components"])}
    if job.output is None:
        return ExportResult("cyclonedx", job.facts.ref, document=doc, summary=summary)
    path = write_text(job.output, json.dumps(doc, indent=2, ensure_ascii=False))
    return ExportResult("cyclonedx", job.facts.ref, (str(path),), summary=summary)
