"""An EU AI Act (Regulation (EU) 2024/1689) Annex IV technical-documentation outline, point by point, filled from
the records. Each point says whether it is ``filled`` from the records, ``partial`` (some facts recorded, the rest
to be written), or ``manual`` (to be written by hand), lists the facts found and what is missing. Markdown for
people, JSON for tools. This is an outline to complete, not a conformity assessment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import ExportJob, ExportResult, write_text
from .facts import ExportFacts

__all__ = ["export_annex_iv", "outline", "POINTS"]

FILLED, PARTIAL, MANUAL = "filled", "partial", "manual"

Point = tuple[str, str, Callable[[ExportFacts], tuple[list[str], list[str]]]]


def _general(f: ExportFacts) -> tuple[list[str], list[str]]:
    rec = f.record
    found = [f"system: {rec.asset}, version {rec.number} ({f.ref}), content hash {rec.content_hash}"]
    missing = []
    if f.doc("intended_use"):
        found.append(f"intended purpose: {f.doc('intended_use')}")
    else:
        missing.append("intended purpose (metadata field intended_use)")
    if f.doc("out_of_scope_use"):
        found.append(f"out of scope: {f.doc('out_of_scope_use')}")
    env = rec.record.get("environment_summary")
    if env:
        found.append(f"software environment when built: {json.dumps(env, sort_keys=True)}")
    missing += [
        "provider name",
        "interaction with hardware and other software",
        "forms in which the system is placed on the market",
        "hardware it runs on",
        "user interface and instructions for use for the deployer",
    ]
    return found, missing


def _development(f: ExportFacts) -> tuple[list[str], list[str]]:
    rec = f.record
    found, missing = [], []
    if rec.record.get("tracked"):
        found.append(
            f"built by a tracked notebook run ({rec.record.get('notebook') or 'notebook'}, source hash "
            f"{rec.record.get('source_hash')}, seed {rec.record.get('seed', {}).get('given')})"
        )
    else:
        missing.append("development steps (the version was not made by a tracked run)")
    if rec.params:
        found.append(f"parameters: {json.dumps(rec.params, sort_keys=True)}")
    found.append(f"stored as {rec.object_type}")
    missing += ["design specifications: general logic, key design choices and trade-offs", "system architecture"]
    return found, missing


def _data(f: ExportFacts) -> tuple[list[str], list[str]]:
    found, missing = [], []
    for ds in f.datasets():
        r = f.records[ds]
        info = r.get("dataset") or {}
        found.append(
            f"{ds}: {r.summary.get('rows', '?')} rows, source {info.get('source') or 'not recorded'}, licence "
            f"{f.doc('licence', ds) or 'not recorded'}, labels {info.get('labels', [])}, label counts "
            f"{json.dumps(info.get('label_counts', {}), sort_keys=True)}"
        )
        if not info.get("source"):
            missing.append(f"provenance of {ds} (dataset source)")
    for ls in f.label_schemas():
        classes = (f.records[ls].get("label_schema") or {}).get("classes", [])
        found.append(f"labelling follows {ls}: classes {classes}")
    if not f.datasets():
        missing.append("training data (no dataset recorded as an input)")
    missing.append("data selection, labelling procedure and cleaning methods")
    return found, missing


def _oversight(f: ExportFacts) -> tuple[list[str], list[str]]:
    found = [f"{a['user']} approved promotion to {a['to']} at {a['at']}" for a in f.approvals()]
    gates = {c["name"] for c in f.gate_evidence()}
    if gates:
        found.append(f"stage gates enforced before each promotion: {', '.join(sorted(gates))}")
    return found, ["human oversight measures for the deployer (Article 14)"]


def _testing(f: ExportFacts) -> tuple[list[str], list[str]]:
    found = [f"metric {k} = {v}" for k, v in f.record.metrics.items()]
    found += [f"gate {c['name']} at {c['stage']} ({c['at']}): {c['status']}, {c['message']}" for c in f.gate_evidence()]
    missing = [] if found else ["validation and testing results"]
    missing.append("test reports dated and signed by the responsible persons; validation data characteristics")
    return found, missing


def _predetermined(f: ExportFacts) -> tuple[list[str], list[str]]:
    return [], ["pre-determined changes to the system and its performance"]


def _security(f: ExportFacts) -> tuple[list[str], list[str]]:
    found = [
        f"stored content is content-addressed ({f.record.content_hash}) and verified on every read",
        f"SHA-256 over every stored byte: {f.sha256_of(f.ref)}",
        "every change is an event in a SHA-256 hash-chained log (reg.verify() checks it)",
    ]
    return found, ["cybersecurity measures of the deployed system"]


def _limits(f: ExportFacts) -> tuple[list[str], list[str]]:
    found, missing = [], []
    dep = f.record.deployment
    if dep and dep.get("known_limitations"):
        found.append(f"known limitations: {dep['known_limitations']}")
    else:
        missing.append("known limitations (recorded when entering production)")
    risks = f.doc("risks")
    if risks:
        found += [f"risk: {r}" for r in (risks if isinstance(risks, list) else [risks])]
    else:
        missing.append("foreseeable unintended outcomes and risks (metadata field risks)")
    missing.append("accuracy for the specific persons or groups the system is meant to be used on")
    return found, missing


def _metrics_fit(f: ExportFacts) -> tuple[list[str], list[str]]:
    found = [f"recorded metrics: {', '.join(sorted(f.record.metrics))}"] if f.record.metrics else []
    return found, ["why these metrics are appropriate for this system"]


def _risk_system(f: ExportFacts) -> tuple[list[str], list[str]]:
    risks = f.doc("risks")
    found = [f"risk: {r}" for r in ([risks] if isinstance(risks, str) else risks or [])]
    return found, ["the risk management system (Article 9)"]


def _changes(f: ExportFacts) -> tuple[list[str], list[str]]:
    found = [
        f"{h['at']} {h['actor']}: {h['summary']}" + (f" ({h['reason']})" if h["reason"] else "") for h in f.history()
    ]
    rec = f.record
    if rec.parent is not None:
        found.append(f"follows {rec.asset}@{rec.parent}")
    return found, []


def _standards(f: ExportFacts) -> tuple[list[str], list[str]]:
    return [], ["harmonised standards applied, or the solutions adopted instead"]


def _declaration(f: ExportFacts) -> tuple[list[str], list[str]]:
    return [], ["a copy of the EU declaration of conformity (Article 47)"]


def _post_market(f: ExportFacts) -> tuple[list[str], list[str]]:
    found = []
    alerts = [e for e in f.events if e["type"] == "AlertRaised" and e["data"].get("asset") == f.record.asset]
    found += [f"monitoring alert at {e['at']}: response {e['data'].get('response')}" for e in alerts]
    for e in f.events_of(f.ref, "RolledBack"):
        found.append(f"rolled back at {e['at']} by {e['actor']}: {e['data'].get('reason', '')}")
    for e in f.events_of(f.ref, "ReviewRecorded"):
        found.append(f"post-release review at {e['at']}: {e['data'].get('summary', '')}")
    return found, ["the post-market monitoring plan (Article 72(3))"]


POINTS: tuple[Point, ...] = (
    ("1", "General description of the AI system", _general),
    ("2(a-c)", "Development methods, design specifications and system architecture", _development),
    ("2(d)", "Data requirements: training data, provenance, scope, labelling", _data),
    ("2(e)", "Human oversight measures", _oversight),
    ("2(f)", "Pre-determined changes to the system and its performance", _predetermined),
    ("2(g)", "Validation and testing procedures, metrics and test logs", _testing),
    ("2(h)", "Cybersecurity measures", _security),
    ("3", "Monitoring, functioning and control: capabilities, limitations, foreseeable risks", _limits),
    ("4", "Appropriateness of the performance metrics", _metrics_fit),
    ("5", "Risk management system (Article 9)", _risk_system),
    ("6", "Relevant changes made through the lifecycle", _changes),
    ("7", "Harmonised standards applied", _standards),
    ("8", "EU declaration of conformity", _declaration),
    ("9", "Post-market monitoring system (Article 72)", _post_market),
)


def outline(f: ExportFacts) -> dict[str, Any]:
    points = []
    for number, title, fill in POINTS:
        found, missing = fill(f)
        status = FILLED if found and not missing else PARTIAL if found else MANUAL
        points.append({"point": number, "title": title, "status": status, "from_records": found, "missing": missing})
    counts = {s: sum(p["status"] == s for p in points) for s in (FILLED, PARTIAL, MANUAL)}
    return {
        "document": "EU AI Act Annex IV technical documentation (outline)",
        "system": f.ref,
        "registry": f.namespace,
        "generated_at": f.exported_at,
        "counts": counts,
        "points": points,
    }


def markdown(doc: dict[str, Any]) -> str:
    lines = [
        f"# Annex IV technical documentation: {doc['system']}",
        "",
        f"Outline generated {doc['generated_at']} from registry `{doc['registry']}`. Points: "
        + ", ".join(f"{n} {s}" for s, n in doc["counts"].items())
        + ". Each point says what the records hold and what must still be written by hand.",
        "",
    ]
    for p in doc["points"]:
        lines += [f"## {p['point']}. {p['title']}", "", f"**Status: {p['status']}**", ""]
        lines += [f"- {x}" for x in p["from_records"]]
        if p["missing"]:
            lines += ["", "To be written by hand:", ""] + [f"- [ ] {m}" for m in p["missing"]]
        lines.append("")
    return "\n".join(lines)


def export_annex_iv(job: ExportJob) -> ExportResult:
    doc = outline(job.facts)
    md = markdown(doc)
    if job.output is None:
        return ExportResult("annex-iv", job.facts.ref, document={"markdown": md, "outline": doc}, summary=doc["counts"])
    paths = (
        write_text(job.output / "annex-iv.md", md),
        write_text(job.output / "annex-iv.json", json.dumps(doc, indent=2, ensure_ascii=False)),
    )
    return ExportResult("annex-iv", job.facts.ref, tuple(str(p) for p in paths), summary=doc["counts"])
