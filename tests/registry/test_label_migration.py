"""Issue 16: label-schema changes carried through: ``migrate_labels`` applies renames and merges, lists split
rows for review under a ``needs_review`` marker, and ``schema_impact`` marks what is live."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from lifecycle_ext import UsageInputError
from lifecycle_ext.registry.datasets import review_rows

V1 = {
    "classes": [
        {"name": "cat", "description": "adult cat"},
        {"name": "kitten", "description": "young cat"},
        {"name": "dog", "description": "any dog"},
        {"name": "bird", "description": "any bird"},
    ]
}
V2 = {
    "classes": [
        {"name": "feline", "description": "cat of any age"},
        {"name": "dog_small", "description": "dog under 10 kg"},
        {"name": "dog_large", "description": "dog of 10 kg or more"},
        {"name": "avian", "description": "any bird"},
    ]
}
MAPPING = {"cat": "feline", "kitten": "feline", "dog": ["dog_small", "dog_large"], "bird": "avian"}
LABELS = ["cat", "kitten", "dog", "bird", "dog", "cat", "bird", "dog"]


@pytest.fixture
def reg(tmp_path: Any, make_registry: Any) -> Any:
    return make_registry(tmp_path / "reg", user="alice")


def _flow(reg: Any) -> tuple[Any, Any, Any, Any]:
    s1 = reg.save(V1, "label_schema:animals")
    df = pd.DataFrame({"id": np.arange(100, 108), "weight": np.linspace(1, 30, 8), "label": LABELS})
    d1 = reg.save(df, "dataset:pets", key="id", label="label", schema=s1.ref, metadata={"licence": "CC-BY-4.0"})
    m1 = reg.save(np.zeros(3), "model:pets", inputs=[d1.ref])
    for stage in ("development", "staging"):
        reg.promote(m1.ref, to=stage, reason="release")
    reg.promote(m1.ref, to="production", reason="release", known_limitations="none known")
    s2 = reg.save(V2, "label_schema:animals", mapping=MAPPING, reason="finer dogs, one feline class")
    return s1, d1, m1, s2


def test_migrate_labels_applies_renames_and_merges_and_lists_split_rows(reg: Any) -> None:
    s1, d1, m1, s2 = _flow(reg)
    mig = reg.migrate_labels(d1.ref, to_schema=s2.ref)
    v = mig.version
    assert v.ref == "dataset:pets@2"
    new = reg.load(v.ref)
    assert list(new["label"].iloc[[0, 1, 3, 5, 6]]) == ["feline", "feline", "avian", "feline", "avian"]
    assert new["label"].iloc[[2, 4, 7]].isna().all()  # split rows wait for review
    review = mig.review
    assert list(review.columns) == ["key", "old_label", "candidate_labels"]
    assert review["key"].tolist() == [102, 104, 107]
    assert review["old_label"].tolist() == ["dog"] * 3
    assert review["candidate_labels"].tolist() == [["dog_small", "dog_large"]] * 3
    rec = reg.resolve(v.ref)
    assert set(rec["changes"]["types"]) >= {"schema", "corrective"}
    assert rec["dataset"]["schema"] == s2.ref
    assert rec["dataset"]["needs_review"] == {"label": 3}  # counts: the rows' keys live in a blob
    assert review_rows(reg._svc, rec) == {  # noqa: SLF001
        "label": [
            [102, "dog", ["dog_small", "dog_large"]],
            [104, "dog", ["dog_small", "dog_large"]],
            [107, "dog", ["dog_small", "dog_large"]],
        ]
    }
    assert v.metadata == {"licence": "CC-BY-4.0"}  # inherited
    assert reg.load(d1.ref)["label"].tolist() == LABELS  # the originals are preserved
    hist = reg.corrections(v.ref)
    assert dict(zip(hist["key"], hist["migration"])) == {
        100: "auto",
        101: "auto",
        102: "needs_review",
        103: "auto",
        104: "needs_review",
        105: "auto",
        106: "auto",
        107: "needs_review",
    }
    assert v.inputs == [s2.ref]


def test_a_correction_resolves_the_review_marker(reg: Any) -> None:
    _, d1, _, s2 = _flow(reg)
    mig = reg.migrate_labels(d1.ref, to_schema=s2.ref)
    df = reg.load(mig.version.ref)
    df.loc[df["id"] == 102, "label"] = "dog_small"
    v3 = reg.save(df, "dataset:pets", reason="reviewed row 102")
    assert [r[0] for r in review_rows(reg._svc, reg.resolve(v3.ref))["label"]] == [104, 107]  # noqa: SLF001
    df.loc[df["id"].isin([104, 107]), "label"] = "dog_large"
    v4 = reg.save(df, "dataset:pets", reason="reviewed the rest")
    assert reg.resolve(v4.ref)["dataset"].get("needs_review") in (None, {})


def test_schema_impact_marks_what_is_live(reg: Any) -> None:
    _, d1, m1, s2 = _flow(reg)
    imp = reg.schema_impact(s2.ref)
    assert imp.models == [{"model": m1.ref, "trained_on": [d1.ref], "stage": "production", "live": True}]
    assert "model:pets@1 trained on dataset:pets@1: LIVE at production" in repr(imp)


def test_migrate_labels_refuses_what_it_cannot_do(reg: Any) -> None:
    s1, d1, _, s2 = _flow(reg)
    plain = reg.save(pd.DataFrame({"id": [1], "label": ["cat"]}), "dataset:plain", key="id", label="label")
    with pytest.raises(UsageInputError, match="declares no label schema"):
        reg.migrate_labels(plain.ref, to_schema=s2.ref)
    with pytest.raises(UsageInputError, match="is not later than"):
        reg.migrate_labels(d1.ref, to_schema=s1.ref)
    assert len(reg.state["assets"]["dataset:pets"]["versions"]) == 1
