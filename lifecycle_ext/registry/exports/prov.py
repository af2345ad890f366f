"""W3C PROV-JSON (https://www.w3.org/submissions/prov-json/): versions and datasets as entities, tracked runs and
saves, promotion requests, approvals, promotions, refusals, rollbacks and retirements as activities, people as
agents. Identifiers live in the registry's stable namespace, so two exports of one registry link up.
"""

from __future__ import annotations

import json
from typing import Any

from ...core.refs import exact_ref
from . import ExportJob, ExportResult, write_text
from .facts import ExportFacts

__all__ = ["export_prov", "prov_document"]

_DECISIONS = {
    "PromotionRequested": "request",
    "PromotionApproved": "approval",
    "PromotionRejected": "rejection",
    "PromotionRefused": "refusal",
    "VersionPromoted": "promotion",
    "RolledBack": "rollback",
    "VersionRetired": "retirement",
    "AlertRaised": "alert",
    "ReviewRecorded": "review",
}


def _eid(ref: str) -> str:
    kind, _, rest = ref.partition(":")
    name, _, number = rest.rpartition("@")
    return f"lc:{kind}/{name}/{number}"


def _str(v: Any) -> Any:
    return v if isinstance(v, (str, int, float, bool)) else json.dumps(v, sort_keys=True, default=str)


def prov_document(f: ExportFacts) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "prefix": {"lc": f.namespace + "#", "lcv": "https://lifecycle-ext.github.io/vocab#"},
        "entity": {},
        "activity": {},
        "agent": {},
        "wasGeneratedBy": {},
        "used": {},
        "wasDerivedFrom": {},
        "wasAttributedTo": {},
        "wasAssociatedWith": {},
        "wasInvalidatedBy": {},
    }
    n = iter(range(1, 1_000_000))

    def rel(kind: str, body: dict[str, Any]) -> None:
        doc[kind][f"_:{kind}{next(n)}"] = body

    def agent(user: str) -> str:
        aid = f"lc:user/{user}"
        doc["agent"].setdefault(
            aid, {"prov:type": {"$": "prov:Person", "type": "prov:QUALIFIED_NAME"}, "prov:label": user}
        )
        return aid

    for ref, rec in f.records.items():
        eid = _eid(ref)
        ent: dict[str, Any] = {
            "prov:label": ref,
            "prov:type": {"$": f"lcv:{rec.kind}", "type": "prov:QUALIFIED_NAME"},
            "lcv:content_hash": rec.content_hash,
            "lcv:object_type": rec.object_type or "",
        }
        for key in ("licence", "intended_use", "description"):
            val = f.doc(key, ref)
            if val:
                ent[f"lcv:{key}"] = _str(val)
        for k, v in rec.metrics.items():
            ent[f"lcv:metric_{k}"] = v
        doc["entity"][eid] = ent
        author = agent(rec.author)
        rel("wasAttributedTo", {"prov:entity": eid, "prov:agent": author})
        tracked = rec.record.get("run_id")
        act = f"lc:run/{tracked}" if tracked else f"lc:save/{rec.seq}"
        a: dict[str, Any] = doc["activity"].setdefault(
            act,
            {
                "prov:type": {"$": "lcv:TrackedRun" if tracked else "lcv:Save", "type": "prov:QUALIFIED_NAME"},
                "prov:endTime": rec.created_at,
            },
        )
        if tracked and rec.record.get("started_at"):
            a["prov:startTime"] = rec.record["started_at"]
            if rec.record.get("notebook"):
                a["lcv:notebook"] = rec.record["notebook"]
            if rec.record.get("source_hash"):
                a["lcv:source_hash"] = rec.record["source_hash"]
        rel("wasGeneratedBy", {"prov:entity": eid, "prov:activity": act, "prov:time": rec.created_at})
        rel("wasAssociatedWith", {"prov:activity": act, "prov:agent": author})
        for inp in rec.inputs:
            if inp in f.records:
                rel("used", {"prov:activity": act, "prov:entity": _eid(inp)})
                rel("wasDerivedFrom", {"prov:generatedEntity": eid, "prov:usedEntity": _eid(inp), "prov:activity": act})
        if rec.parent is not None:
            parent = f"{rec.asset}@{rec.parent}"
            if parent in f.records:
                rel(
                    "wasDerivedFrom",
                    {
                        "prov:generatedEntity": eid,
                        "prov:usedEntity": _eid(parent),
                        "prov:type": {"$": "prov:Revision", "type": "prov:QUALIFIED_NAME"},
                    },
                )

    for e in f.events:
        kind = _DECISIONS.get(e["type"])
        if kind is None:
            continue
        d = e["data"]
        act = f"lc:{kind}/{e['seq']}"
        body: dict[str, Any] = {
            "prov:type": {"$": f"lcv:{e['type']}", "type": "prov:QUALIFIED_NAME"},
            "prov:startTime": e["at"],
            "prov:endTime": e["at"],
            "lcv:seq": e["seq"],
        }
        for key in ("to", "reason", "stage"):
            if d.get(key):
                body[f"lcv:{key}"] = d[key]
        if d.get("from"):
            body["lcv:from"] = d["from"]
        doc["activity"][act] = body
        rel("wasAssociatedWith", {"prov:activity": act, "prov:agent": agent(e["actor"])})
        if e["type"] == "RolledBack":
            subjects = [f"{d['asset']}@{d['from_number']}", f"{d['asset']}@{d['to_number']}"]
        else:
            subjects = [f"{d['asset']}@{d['number']}"]
        for s in subjects:
            if s in f.records:
                rel("used", {"prov:activity": act, "prov:entity": _eid(s), "prov:time": e["at"]})
        if e["type"] == "VersionRetired" and subjects[0] in f.records:
            rel("wasInvalidatedBy", {"prov:entity": _eid(subjects[0]), "prov:activity": act, "prov:time": e["at"]})
    doc["entity"][_eid(exact_ref(f.record))]["lcv:exported"] = True
    return {k: v for k, v in doc.items() if v}


def export_prov(job: ExportJob) -> ExportResult:
    doc = prov_document(job.facts)
    summary = {"entities": len(doc.get("entity", {})), "activities": len(doc.get("activity", {}))}
    if job.output is None:
        return ExportResult("prov", job.facts.ref, document=doc, summary=summary)
    path = write_text(job.output, json.dumps(doc, indent=2, ensure_ascii=False))
    return ExportResult("prov", job.facts.ref, (str(path),), summary=summary)
