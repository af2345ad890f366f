"""OpenLineage run events (https://openlineage.io/spec/2-0-2/OpenLineage.json) for the runs that made the versions
linked to the exported one: a START (tracked runs) and a COMPLETE event per run, with its inputs and outputs as
datasets (a version facet, a schema facet for tables), the captured source code, and the environment.

Every asset of the registry is a dataset of the registry's namespace named ``KIND:NAME`` (models too: OpenLineage
has no other kind of node); a run id is a UUID derived from the registry namespace and the run, so exporting twice
gives the same ids. Job names are ``save KIND:NAME`` (or the notebook of a tracked run).
"""

from __future__ import annotations

import json
from typing import Any

from ...core.records import VersionRecord
from . import ExportJob, ExportResult, write_text
from .facts import PRODUCER, ExportFacts

__all__ = ["export_openlineage", "run_events"]

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
_FACETS = "https://openlineage.io/spec/facets"
ENV_FACET_SCHEMA = (
    "https://github.com/lifecycle-ext/lifecycle-ext/blob/main/docs/exports.md#openlineage-environment-facet"
)

_ARROWISH = {"int64": "int64", "float64": "double", "str": "string", "object": "string", "bool": "boolean"}


def _facet(schema: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": schema, **fields}


def _dataset(f: ExportFacts, ref: str, rec: VersionRecord) -> dict[str, Any]:
    facets: dict[str, Any] = {
        "version": _facet(
            f"{_FACETS}/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
            datasetVersion=str(rec.number),
        ),
    }
    dtypes = rec.summary.get("dtypes") if isinstance(rec.summary, dict) else None
    if isinstance(dtypes, dict) and dtypes:
        facets["schema"] = _facet(
            f"{_FACETS}/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
            fields=[{"name": str(c), "type": _ARROWISH.get(str(t), str(t))} for c, t in dtypes.items()],
        )
    desc = f.doc("description", ref)
    if desc:
        facets["documentation"] = _facet(
            f"{_FACETS}/1-1-0/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet", description=str(desc)
        )
    return {"namespace": f.namespace, "name": rec.asset, "facets": facets}


def _run_events(f: ExportFacts, ref: str) -> list[dict[str, Any]]:
    rec = f.records[ref]
    tracked = rec.record.get("run_id")
    run_key = f"run/{tracked}" if tracked else f"save/{rec.seq}"
    run_id = f.uuid_for(run_key)
    notebook = rec.record.get("notebook")
    job_name = f"{notebook}:{rec.asset}" if tracked and notebook else f"save {rec.asset}"
    job_facets: dict[str, Any] = {
        "jobType": _facet(
            f"{_FACETS}/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
            processingType="BATCH",
            integration="LIFECYCLE_EXT",
            jobType="NOTEBOOK_CELL" if tracked else "SAVE",
        )
    }
    if rec.record.get("source"):
        job_facets["sourceCode"] = _facet(
            f"{_FACETS}/1-0-1/SourceCodeJobFacet.json#/$defs/SourceCodeJobFacet",
            language="python",
            sourceCode=str(rec.record["source"]),
        )
    run_facets: dict[str, Any] = {
        "processing_engine": _facet(
            f"{_FACETS}/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet",
            version=f.package_version or "0",
            name="lifecycle_ext",
        )
    }
    env = rec.record.get("environment_summary")
    if tracked:
        run_facets["lifecycle_environment"] = _facet(
            ENV_FACET_SCHEMA,
            environment=env if isinstance(env, dict) else {},
            environment_blob=rec.record.get("environment"),
            seed=rec.record.get("seed", {}).get("given") if isinstance(rec.record.get("seed"), dict) else None,
            configs=rec.record.get("configs", {}),
            params=rec.params,
            metrics=rec.metrics,
        )
    inputs = [_dataset(f, i, f.records[i]) for i in rec.inputs if i in f.records]
    output = _dataset(f, ref, rec)
    base = {
        "producer": PRODUCER,
        "schemaURL": SPEC,
        "run": {"runId": run_id, "facets": run_facets},
        "job": {"namespace": f.namespace, "name": job_name, "facets": job_facets},
    }
    events = []
    if tracked and rec.record.get("started_at"):
        events.append({"eventType": "START", "eventTime": rec.record["started_at"], **base, "inputs": inputs})
    status = "COMPLETE" if rec.record.get("status", "ok") == "ok" else "FAIL"
    events.append({"eventType": status, "eventTime": rec.created_at, **base, "inputs": inputs, "outputs": [output]})
    return events


def run_events(f: ExportFacts) -> list[dict[str, Any]]:
    """The run events of every version linked to the exported one, in the order the versions were made."""
    refs = sorted(f.records, key=lambda r: f.records[r].seq)
    return [ev for r in refs for ev in _run_events(f, r)]


def export_openlineage(job: ExportJob) -> ExportResult:
    events = run_events(job.facts)
    summary = {"events": len(events), "runs": len({e["run"]["runId"] for e in events})}
    if job.output is None:
        return ExportResult("openlineage", job.facts.ref, document=events, summary=summary)
    path = write_text(job.output, json.dumps(events, indent=2, ensure_ascii=False))
    return ExportResult("openlineage", job.facts.ref, (str(path),), summary=summary)
