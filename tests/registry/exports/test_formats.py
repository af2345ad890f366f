"""Every export format of a registry taken through a whole lifecycle, validated with the standard's own tool:
PROV-JSON with ``prov``, the model card with ``huggingface_hub``'s parser, OpenLineage events with ``openlineage-python``'s spec classes, the Model Card Toolkit JSON
with its schema (v0.0.2, vendored in ``data/``: the toolkit itself needs TensorFlow and jsonschema<4, so it is not
installable here), CycloneDX with ``cyclonedx-python-lib``'s strict validator; the Annex IV outline lists every
point with its status."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from lifecycle_ext.core.errors import UsageInputError

from .lifecycle import DOCS, Lifecycle

DATA = Path(__file__).with_name("data")


def _events(reg: Any) -> int:
    return int(reg.state["seq"])


# -- PROV ---------------------------------------------------------------------------------------------------
def _prov(doc: dict[str, Any]) -> Any:
    import prov

    return prov.read(io.StringIO(json.dumps(doc)), format="json")


def _revision(rec: Any) -> bool:
    from prov.model import PROV_TYPE

    return any(str(t) == "prov:Revision" for t in rec.get_attribute(PROV_TYPE))


def test_prov_loads_with_the_prov_package_and_carries_lineage_both_ways(life: Lifecycle, out: Path) -> None:
    from prov.model import PROV_TYPE, ProvActivity, ProvAgent, ProvDerivation, ProvEntity

    before = _events(life.reg)
    res = life.reg.export(life.model_v1, format="prov", output=out / "model.prov.json")
    assert _events(life.reg) == before  # an export records nothing
    text = Path(res.paths[0]).read_text()
    doc = _prov(json.loads(text))
    # a lossless round trip through the library's own serializer, and PROV-N rendering
    again = _prov(json.loads(doc.serialize(format="json")))
    assert again == doc
    provn = doc.get_provn()
    assert "wasDerivedFrom(lc:model/churn/1, lc:dataset/churn/1" in provn

    records = list(doc.get_records())
    entities = {str(r.identifier.localpart) for r in records if isinstance(r, ProvEntity)}
    assert {"model/churn/1", "dataset/churn/1", "label_schema/churn-labels/1"} <= entities
    people = {str(r.identifier.localpart) for r in records if isinstance(r, ProvAgent)}
    assert {"user/alice", "user/bob", "user/carol", "user/dave"} <= people
    for r in records:
        if isinstance(r, ProvAgent):
            assert str(next(iter(r.get_attribute(PROV_TYPE)))) == "prov:Person"
    acts = {str(r.identifier.localpart) for r in records if isinstance(r, ProvActivity)}
    assert any(a.startswith("run/") for a in acts)  # the tracked run that made the model
    assert sum(a.startswith("approval/") for a in acts) == 3
    assert any(a.startswith("rollback/") for a in acts)
    derivations = [r for r in records if isinstance(r, ProvDerivation) and not _revision(r)]
    assert [(str(d.args[0].localpart), str(d.args[1].localpart)) for d in derivations] == [
        ("model/churn/1", "dataset/churn/1")
    ]
    ns = json.loads(text)["prefix"]["lc"]

    # from the dataset's side the same lineage runs downstream: both model versions were made from it
    down = _prov(life.reg.export(life.dataset, format="prov").document)
    derived = {
        (str(r.args[0].localpart), str(r.args[1].localpart))
        for r in down.get_records()
        if isinstance(r, ProvDerivation) and not _revision(r)
    }
    revisions = [r for r in down.get_records() if isinstance(r, ProvDerivation) and _revision(r)]
    assert [(str(r.args[0].localpart), str(r.args[1].localpart)) for r in revisions] == [
        ("model/churn/2", "model/churn/1")
    ]
    assert derived == {("model/churn/1", "dataset/churn/1"), ("model/churn/2", "dataset/churn/1")}
    retired = [r for r in down.get_records() if r.get_type().localpart == "Invalidation"]
    assert [str(r.args[0].localpart) for r in retired] == ["model/churn/2"]
    assert life.reg.export(life.dataset, format="prov").document["prefix"]["lc"] == ns  # stable namespace


def test_each_registry_has_its_own_prov_namespace(make_registry: Any, life: Lifecycle) -> None:
    import numpy as np

    other = make_registry()
    other.save(np.arange(3), "model:churn")
    a = life.reg.export(life.model_v1, format="prov").document["prefix"]["lc"]
    b = other.export("model:churn", format="prov").document["prefix"]["lc"]
    assert a.startswith("urn:lifecycle:registry:") and b.startswith("urn:lifecycle:registry:") and a != b


# -- OpenLineage --------------------------------------------------------------------------------------------
def _facet_classes() -> dict[str, Any]:
    from openlineage.client.generated import (
        dataset_version_dataset,
        documentation_dataset,
        job_type_job,
        processing_engine_run,
        schema_dataset,
        source_code_job,
    )

    return {
        "version": dataset_version_dataset.DatasetVersionDatasetFacet,
        "documentation": documentation_dataset.DocumentationDatasetFacet,
        "jobType": job_type_job.JobTypeJobFacet,
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet,
        "schema": schema_dataset.SchemaDatasetFacet,
        "sourceCode": source_code_job.SourceCodeJobFacet,
    }


def _structure(event: dict[str, Any]) -> Any:
    """The event as openlineage-python's spec classes (their validators check run ids, times, URIs), each standard
    facet as its class (same fields, same schema URL), custom facets as the base facet."""
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
    from openlineage.client.generated.base import BaseFacet
    from openlineage.client.generated.schema_dataset import SchemaDatasetFacetFields

    classes = _facet_classes()

    def facets(raw: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, body in raw.items():
            fields = {k: v for k, v in body.items() if not k.startswith("_")}
            cls = classes.get(name)
            if cls is None:
                assert body["_schemaURL"].startswith("https://") and body["_producer"].startswith("https://")
                out[name] = BaseFacet()
                continue
            if name == "schema":
                fields["fields"] = [SchemaDatasetFacetFields(**x) for x in fields["fields"]]
            facet = cls(**fields)
            assert body["_schemaURL"] == facet._schemaURL, name  # the spec's facet, at the library's version
            out[name] = facet
        return out

    ev = RunEvent(
        eventType=RunState(event["eventType"]),
        eventTime=event["eventTime"],
        run=Run(runId=event["run"]["runId"], facets=facets(event["run"]["facets"])),
        job=Job(namespace=event["job"]["namespace"], name=event["job"]["name"], facets=facets(event["job"]["facets"])),
        producer=event["producer"],
        inputs=[InputDataset(d["namespace"], d["name"], facets=facets(d["facets"])) for d in event.get("inputs", [])],
        outputs=[
            OutputDataset(d["namespace"], d["name"], facets=facets(d["facets"])) for d in event.get("outputs", [])
        ],
    )
    assert event["schemaURL"] == ev.schemaURL
    return ev


def test_openlineage_events_are_valid_and_carry_lineage_both_ways(life: Lifecycle, out: Path) -> None:
    import uuid

    res = life.reg.export(life.model_v1, format="openlineage", output=out / "ol.json")
    events = json.loads(Path(res.paths[0]).read_text())
    parsed = [_structure(e) for e in events]
    assert all(uuid.UUID(e.run.runId).version == 5 for e in parsed)
    model_events = [e for e in parsed if any(o.name == "model:churn" for o in e.outputs or [])]
    assert len(model_events) == 1
    complete = model_events[0]
    assert [i.name for i in complete.inputs] == ["dataset:churn"]
    assert complete.inputs[0].facets["version"].datasetVersion == "1"
    assert "np.linspace" in complete.job.facets["sourceCode"].sourceCode
    raw = next(e for e in events if e["run"]["runId"] == complete.run.runId and e["eventType"] == "COMPLETE")
    assert raw["run"]["facets"]["lifecycle_environment"]["environment"] == {"python": "3.11.9"}
    start = [e for e in parsed if e.run.runId == complete.run.runId and e.eventType.value == "START"]
    assert len(start) == 1  # a tracked run has a start and an end
    ds = next(e for e in parsed if any(o.name == "dataset:churn" for o in e.outputs or []))
    schema = {f.name: f.type for f in ds.outputs[0].facets["schema"].fields}
    assert schema["tenure"] == "double" and set(schema) == set(life.frame.columns)

    # downstream: exporting the dataset gives the runs that consumed it (both model versions)
    from_dataset = [_structure(e) for e in life.reg.export(life.dataset, format="openlineage").document]
    consumers = {o.name + "@" + o.facets["version"].datasetVersion for e in from_dataset for o in e.outputs or []}
    assert {"model:churn@1", "model:churn@2"} <= consumers
    again = life.reg.export(life.model_v1, format="openlineage").document
    assert [e["run"]["runId"] for e in again] == [e["run"]["runId"] for e in events]  # stable ids


# -- model card ---------------------------------------------------------------------------------------------
def test_model_card_names_datasets_metrics_limitations_and_approvers(life: Lifecycle, out: Path) -> None:
    res = life.reg.export(life.model_v1, format="model-card", output=out)
    readme = (out / "README.md").read_text()
    assert readme.startswith("---\n")
    meta = yaml.safe_load(readme.split("---\n")[1])
    assert meta["license"] == "mit"
    assert meta["datasets"] == [life.dataset]
    assert meta["metrics"] == ["accuracy", "f1"]
    result = meta["model-index"][0]["results"][0]
    assert result["dataset"]["name"] == life.dataset
    assert {m["type"]: m["value"] for m in result["metrics"]}["accuracy"] == 0.91
    body = readme.split("---\n", 2)[2]
    for heading in ("## Intended use", "## Training data", "## Evaluation", "## Known limitations", "## Approvals"):
        assert heading in body
    assert DOCS["intended_use"] in body and DOCS["out_of_scope_use"] in body
    assert all(r in body for r in DOCS["risks"])
    assert "weak on customers younger than 3 months" in body
    assert "bob approved promotion to staging" in body and "dave approved promotion to production" in body
    assert "label_schema:churn-labels@1" in body and "crm export 2026-10" in body
    assert "| production | approvals (approvals) | pass | 2/2 reviewer approval(s) |" in body
    assert "rolled back from @2 to @1" in body

    # Hugging Face's own parser reads the metadata and turns the model index into evaluation results
    from huggingface_hub import ModelCard

    hf = ModelCard.load(out / "README.md")
    assert hf.data.license == "mit" and hf.data.datasets == [life.dataset] and hf.data.model_name == "churn"
    results = {r.metric_type: (r.metric_value, r.dataset_name) for r in hf.data.eval_results}
    assert results == {"accuracy": (0.91, life.dataset), "f1": (pytest.approx(0.84), life.dataset)}

    schema = json.loads((DATA / "model_card_toolkit_v0.0.2.schema.json").read_text())
    mct = json.loads((out / "model_card.json").read_text())
    jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER).validate(mct)
    assert mct["model_details"]["licenses"] == [{"identifier": "MIT"}]
    assert [d["name"] for d in mct["model_parameters"]["data"]] == [life.dataset]
    assert {m["type"] for m in mct["quantitative_analysis"]["performance_metrics"]} == {"accuracy", "f1"}
    assert [r["name"] for r in mct["considerations"]["ethical_considerations"]] == DOCS["risks"]
    assert res.paths == (str(out / "README.md"), str(out / "model_card.json"))


def test_model_card_toolkit_schema_rejects_what_it_should(life: Lifecycle) -> None:
    """The vendored schema is strict enough to catch a malformed card (so the validation above means something)."""
    schema = json.loads((DATA / "model_card_toolkit_v0.0.2.schema.json").read_text())
    mct = life.reg.export(life.model_v1, format="model-card").document["model_card_toolkit"]
    bad = {**mct, "model_details": {**mct["model_details"], "licenses": [{}]}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


# -- Annex IV -----------------------------------------------------------------------------------------------
def test_annex_iv_outline_lists_every_point_with_its_status(life: Lifecycle, out: Path) -> None:
    from lifecycle_ext.registry.exports.annex_iv import POINTS

    life.reg.export(life.model_v1, format="annex-iv", output=out)
    doc = json.loads((out / "annex-iv.json").read_text())
    md = (out / "annex-iv.md").read_text()
    assert [p["point"] for p in doc["points"]] == [p[0] for p in POINTS]
    assert {p["point"] for p in doc["points"]} >= {"1", "2(d)", "2(g)", "3", "5", "7", "8", "9"}
    for p in doc["points"]:
        assert p["status"] in ("filled", "partial", "manual")
        assert (p["status"] == "manual") == (not p["from_records"])
        assert (p["status"] == "filled") == (bool(p["from_records"]) and not p["missing"])
        assert f"## {p['point']}. {p['title']}" in md and f"**Status: {p['status']}**" in md
    by = {p["point"]: p for p in doc["points"]}
    assert any(life.dataset in x and "crm export 2026-10" in x for x in by["2(d)"]["from_records"])
    assert any("approved promotion to production" in x for x in by["2(e)"]["from_records"])
    assert by["6"]["status"] == "filled" and any("rolled back" in x for x in by["6"]["from_records"])
    assert by["8"]["status"] == "manual"
    assert sum(doc["counts"].values()) == len(POINTS)


def test_annex_iv_marks_missing_documentation_fields(reg: Any) -> None:
    import numpy as np

    reg.save(np.arange(3), "model:bare")
    doc = reg.export("model:bare", format="annex-iv").document["outline"]
    general = next(p for p in doc["points"] if p["point"] == "1")
    assert "intended purpose (metadata field intended_use)" in general["missing"]
    data = next(p for p in doc["points"] if p["point"] == "2(d)")
    assert "training data (no dataset recorded as an input)" in data["missing"]


# -- CycloneDX ----------------------------------------------------------------------------------------------
def _sha256(reg: Any, ref: str) -> str:
    """The digest recomputed here from the blob files, independently of the exporter."""
    manifest = json.loads(reg.blobs.get(reg.resolve(ref)["content_hash"]))
    entries = {
        k: "sha256:" + hashlib.sha256(bytes(reg.blobs.get(c))).hexdigest() for k, c in manifest["entries"].items()
    }
    doc = {"format": manifest["format"], "type": manifest["type"], "entries": entries}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def test_cyclonedx_ml_bom_is_valid_with_digests_and_spdx_ids(life: Lifecycle, out: Path) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    res = life.reg.export(life.model_v1, format="cyclonedx", output=out / "bom.json")
    text = Path(res.paths[0]).read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    assert bom["specVersion"] == "1.6"
    model = bom["metadata"]["component"]
    assert model["type"] == "machine-learning-model" and model["bom-ref"] == life.model_v1
    assert model["hashes"] == [{"alg": "SHA-256", "content": _sha256(life.reg, life.model_v1)}]
    assert model["licenses"] == [{"license": {"id": "MIT"}}]
    assert model["modelCard"]["modelParameters"]["datasets"] == [{"ref": life.dataset}]
    assert model["modelCard"]["considerations"]["useCases"] == [DOCS["intended_use"]]
    comps = {c["bom-ref"]: c for c in bom["components"]}
    ds = comps[life.dataset]
    assert ds["type"] == "data" and ds["licenses"] == [{"license": {"id": "CC-BY-4.0"}}]
    assert ds["hashes"][0]["content"] == _sha256(life.reg, life.dataset)
    deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    assert deps[life.model_v1] == [life.dataset] and deps[life.dataset] == [life.schema]

    # the validator does catch a broken BOM (a licence id that is not SPDX)
    broken = json.loads(text)
    broken["metadata"]["component"]["licenses"] = [{"license": {"id": "not-a-licence"}}]
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(broken)) is not None


def test_a_licence_that_is_no_spdx_id_is_named(reg: Any) -> None:
    import numpy as np
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    reg.save(np.arange(3), "model:m", metadata={"licence": "internal use only"})
    doc = reg.export("model:m", format="cyclonedx").document
    assert doc["metadata"]["component"]["licenses"] == [{"license": {"name": "internal use only"}}]
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(doc)) is None


# -- the service, the format table, the CLI ------------------------------------------------------------------
def test_unknown_format_and_missing_module_are_clear_errors(
    life: Lifecycle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lifecycle_ext.registry import exports

    with pytest.raises(UsageInputError, match="unknown export format 'pdf'; formats: prov, openlineage"):
        life.reg.export(life.model_v1, format="pdf")
    ghost = exports.ExportFormat("ghost", "lifecycle_ext.registry.exports.ghost:export_ghost", "absent")
    monkeypatch.setitem(exports.FORMATS, "ghost", ghost)
    with pytest.raises(UsageInputError, match="module lifecycle_ext.registry.exports.ghost is not installed"):
        life.reg.export(life.model_v1, format="ghost", output=tmp_path / "g")
    assert not (tmp_path / "g").exists()


def test_mlflow_is_in_the_format_table_and_loaded_lazily(life: Lifecycle, tmp_path: Path) -> None:
    import importlib.util
    import subprocess
    import sys

    from lifecycle_ext.registry.exports import FORMATS
    from tests.support.checkout import checkout_env

    assert FORMATS["mlflow"].target == "lifecycle_ext.registry.exports.mlflow:export_mlflow"
    # the table names modules; none is imported until its format is asked for
    probe = (
        "import sys, lifecycle_ext.registry.exports as e, lifecycle_ext.registry.actions;"
        "print(sorted(m for m in sys.modules if m.startswith('lifecycle_ext.registry.exports.')))"
    )
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=checkout_env(), timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
    if importlib.util.find_spec("lifecycle_ext.registry.exports.mlflow") is None:
        with pytest.raises(UsageInputError, match="export format 'mlflow' is listed but its module"):
            life.reg.export(life.model_v1, format="mlflow", output=tmp_path / "m")


def test_cli_export_writes_the_file_and_prints_without_output(
    life: Lifecycle, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lifecycle_ext.cli import main

    loc = life.reg.location
    assert main(["-R", loc, "export", life.model_v1, "--format", "prov", "--output", str(tmp_path / "p.json")]) == 0
    assert json.loads((tmp_path / "p.json").read_text())["entity"]
    capsys.readouterr()
    assert main(["-R", loc, "export", life.model_v1, "--format", "cyclonedx"]) == 0
    assert json.loads(capsys.readouterr().out)["bomFormat"] == "CycloneDX"
    assert main(["-R", loc, "--json", "export", "model:churn", "--format", "annex-iv", "-o", str(tmp_path / "a")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["ref"] == "model:churn@2" and len(printed["paths"]) == 2  # a name exports its latest version
    assert main(["-R", loc, "export", life.model_v1, "--format", "pdf"]) == 2


def test_a_format_is_one_function_in_either_form(
    life: Lifecycle, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lifecycle_ext.registry import exports

    table = {
        "three": exports.ExportFormat(
            "three", "tests.registry.exports.fake_formats:three_args", "", output="required-dir"
        ),
        "one": exports.ExportFormat("one", "tests.registry.exports.fake_formats:one_arg", ""),
    }
    for name, fmt in table.items():
        monkeypatch.setitem(exports.FORMATS, name, fmt)
    with pytest.raises(UsageInputError, match="give output=PATH"):
        life.reg.export(life.model_v1, format="three")
    res = life.reg.export("model:churn@production", format="three", output=tmp_path / "x")
    assert res.paths == (str(tmp_path / "x"),) and res.ref == life.model_v1 and Path(res) == tmp_path / "x"
    assert (tmp_path / "x" / "ref.txt").read_text().startswith(f"{life.model_v1} xxh3-128:")
    with pytest.raises(TypeError, match="wrote 2 paths"):
        Path(life.reg.export(life.model_v1, format="annex-iv", output=tmp_path / "a"))
    doc = life.reg.export(life.model_v1, format="one").document
    assert doc == {"ref": life.model_v1, "people": ["alice", "bob", "carol", "dave"]}


def test_annex_iv_takes_risks_given_as_one_text(reg: Any) -> None:
    import numpy as np

    reg.save(np.arange(3), "model:one-risk", metadata={"risks": "may drift with prices"})
    doc = reg.export("model:one-risk", format="annex-iv").document["outline"]
    risk_points = {p["point"]: p["from_records"] for p in doc["points"] if p["point"] in ("3", "5")}
    assert risk_points == {"3": ["risk: may drift with prices"], "5": ["risk: may drift with prices"]}
