"""Issue 16: the records the gates read mean what a reviewer thinks they mean (registry API side).

Declared source, inherited dataset metadata, the label schema a dataset declared (gate, lineage edge and
deployment record)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

SCHEMA_V1 = {"classes": [{"name": "stay", "description": "renews"}, {"name": "churn", "description": "cancels"}]}
SCHEMA_V2 = {"classes": [{"name": "stay", "description": "renews"}, {"name": "churned", "description": "cancels"}]}


def frame(labels: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"id": np.arange(len(labels), dtype=np.int64), "x": np.arange(len(labels)) * 1.0, "y": labels})


def check(reg: Any, ref: str, to: str, type_: str) -> Any:
    return next(c for c in reg.gates(ref, to=to).checks if c.type == type_)


@pytest.fixture
def reg(tmp_path: Any, make_registry: Any) -> Any:
    return make_registry(tmp_path / "reg", user="alice")


PROVENANCE = '[[gates.validated]]\ntype = "provenance"\nkinds = ["dataset"]\nrequire = ["source"]\n'


def test_provenance_source_is_the_declared_data_source_not_the_cell_code(reg: Any) -> None:
    reg.set_policy(f"version = 1\n{PROVENANCE}")
    coded = reg.save(frame(["stay"] * 3), "dataset:coded", record={"source": "df = make()", "tracked": True})
    c = check(reg, coded.ref, "validated", "provenance")
    assert c.status == "fail" and "source" in c.message  # the cell's code is not a data source
    declared = reg.save(frame(["stay"] * 3), "dataset:declared", source="crm export 2026-10")
    c = check(reg, declared.ref, "validated", "provenance")
    assert c.status == "pass", c.message
    assert c.evidence["source"] == "crm export 2026-10"
    by_meta = reg.save(frame(["stay"] * 3), "dataset:meta", metadata={"source": "warehouse"})
    assert check(reg, by_meta.ref, "validated", "provenance").status == "pass"


def test_a_new_dataset_version_inherits_its_parents_metadata(reg: Any) -> None:
    md = {"licence": "CC-BY-4.0", "source": "crm", "pii": False}
    v1 = reg.save(frame(["stay", "churn", "stay"]), "dataset:d", key="id", label="y", metadata=md)
    v2 = reg.save(frame(["stay", "stay", "stay"]), "dataset:d", reason="label fix")  # a label correction
    assert reg.get(v2.ref).metadata == md
    v3 = reg.save(frame(["churn", "stay", "stay"]), "dataset:d", metadata={"licence": "CC0-1.0", "pii": None})
    assert reg.get(v3.ref).metadata == {"licence": "CC0-1.0", "source": "crm"}  # overridden; None removes
    d = reg.diff(v2.ref, v3.ref)
    assert d.sections["metadata"] == {
        "added": {},
        "removed": {"pii": False},
        "changed": {"licence": ["CC-BY-4.0", "CC0-1.0"]},
    }
    assert "metadata" in d.sections["types"]
    assert v1.number == 1


def test_label_correction_keeps_the_licence_gate_passing(reg: Any) -> None:
    reg.set_policy('version = 1\n[[gates.staging]]\ntype = "lineage"\nkinds = ["model"]\nlicences = ["CC-BY-4.0"]\n')
    reg.save(frame(["stay", "churn"]), "dataset:d", key="id", label="y", metadata={"licence": "CC-BY-4.0"})
    v2 = reg.save(frame(["stay", "stay"]), "dataset:d", reason="relabel row 1")
    m = reg.save(np.zeros(3), "model:m", inputs=[v2.ref])
    c = check(reg, m.ref, "staging", "lineage")
    assert c.status == "pass", c.message


def _schema_flow(reg: Any) -> tuple[Any, Any, Any]:
    s1 = reg.save(SCHEMA_V1, "label_schema:cl")
    d = reg.save(frame(["stay", "churn", "stay"]), "dataset:d", key="id", label="y", schema=s1.ref)
    m = reg.save(np.zeros(3), "model:m", inputs=[d.ref])
    return s1, d, m


def test_schema_gate_reads_the_schema_the_dataset_declared(reg: Any) -> None:
    reg.set_policy('version = 1\n[[gates.staging]]\ntype = "schema"\nkinds = ["model"]\n')
    s1, d, m = _schema_flow(reg)
    c = check(reg, m.ref, "staging", "schema")
    assert c.status == "pass", c.message
    reg.save(SCHEMA_V2, "label_schema:cl", mapping={"churn": "churned"}, reason="naming")
    c = check(reg, m.ref, "staging", "schema")
    assert c.status == "fail"
    assert "label_schema:cl@2" in c.message and "renamed: churn -> churned" in c.message


def test_schema_gate_not_required_does_not_claim_a_schema_it_has_not_seen(reg: Any) -> None:
    reg.set_policy('version = 1\n[[gates.staging]]\ntype = "schema"\nkinds = ["model"]\nrequired = false\n')
    d = reg.save(frame(["stay"]), "dataset:plain")
    m = reg.save(np.zeros(3), "model:m", inputs=[d.ref])
    c = check(reg, m.ref, "staging", "schema")
    assert c.status == "pass" and "follows the current" not in c.message and "no label schema" in c.message


def test_label_schema_is_an_edge_of_the_lineage_graph_and_in_the_deployment_record(reg: Any) -> None:
    s1, d, m = _schema_flow(reg)
    down = reg.lineage(s1.ref, direction="down").downstream
    assert d.ref in down and m.ref in down
    for stage in ("development", "staging"):
        reg.promote(m.ref, to=stage, reason="release")
    reg.promote(m.ref, to="production", reason="release", known_limitations="none known")
    dep = reg.deployment(m.ref)
    assert dep.training_data["label_schemas"] == ["label_schema:cl@1"]
    assert dep.training_data["datasets"] == [d.ref]
