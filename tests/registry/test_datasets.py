"""Typed dataset versions, corrections, label-schema versions, impact analysis, schema_is_current."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lifecycle_ext import UsageInputError, open_registry
from lifecycle_ext.registry.datasets import schema_is_current

SCHEMA_V1 = {
    "classes": [
        {"name": "stay", "description": "customer renews"},
        {"name": "churn", "description": "customer cancels within 90 days"},
        {"name": "unknown", "description": "not yet observable"},
    ]
}


@pytest.fixture
def reg(tmp_path, make_registry):
    return make_registry(tmp_path / "reg", user="alice")


def base_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": np.arange(10, dtype=np.int64),
            "tenure": np.arange(10, dtype=np.float64) * 2,
            "visits": np.arange(10, dtype=np.int32),
            "churn": ["stay", "churn"] * 5,
        }
    )


def changes(reg, ref):
    return reg.resolve(ref)["changes"]


def test_dataset_through_additive_corrective_removal_and_schema_versions(reg, monkeypatch):
    reg.save(SCHEMA_V1, "label_schema:churn-labels")
    v1 = reg.save(
        base_frame(),
        "dataset:churn",
        key="customer_id",
        label="churn",
        schema="label_schema:churn-labels@1",
        source="crm-2024-01",
    )
    rec1 = reg.resolve(v1.ref)
    assert rec1["dataset"]["key"] == "customer_id" and rec1["dataset"]["labels"] == ["churn"]
    assert rec1["dataset"]["label_counts"] == {"churn": {"stay": 5, "churn": 5}}
    assert "changes" not in rec1

    # additive: three new rows from a named source; declarations are inherited
    df2 = pd.concat(
        [
            base_frame(),
            pd.DataFrame(
                {
                    "customer_id": [10, 11, 12],
                    "tenure": [1.0, 2.0, 3.0],
                    "visits": np.array([1, 1, 1], dtype=np.int32),
                    "churn": ["churn", "churn", "stay"],
                }
            ),
        ],
        ignore_index=True,
    )
    v2 = reg.save(df2, "dataset:churn", source="crm-2024-02")
    c2 = changes(reg, v2.ref)
    assert c2["types"] == ["additive"]
    assert c2["additive"] == {
        "count": 3,
        "source": "crm-2024-02",
        "label_distribution": {"churn": {"churn": 2, "stay": 1}},
    }
    assert c2["removal"]["count"] == 0 and c2["corrective"]["count"] == 0 and c2["feature_edits"] == {}
    assert c2["rows"] == {"before": 10, "after": 13}

    # corrective: two labels fixed, plus one feature edit
    monkeypatch.setenv("LIFECYCLE_USER", "bob")
    reg3 = open_registry(reg.location, clock=reg.clock)
    df3 = df2.copy()
    df3.loc[df3.customer_id == 1, "churn"] = "stay"
    df3.loc[df3.customer_id == 4, "churn"] = "churn"
    df3.loc[df3.customer_id == 7, "tenure"] = 99.0
    v3 = reg3.save(df3, "dataset:churn", reason="audit of Q1 cancellations")
    c3 = changes(reg, v3.ref)
    assert c3["types"] == ["corrective", "feature_edits"]
    assert c3["corrective"]["count"] == 2
    assert c3["corrective"]["transitions"] == {"churn": {"churn -> stay": 1, "stay -> churn": 1}}
    assert c3["feature_edits"] == {"tenure": 1}
    assert c3["additive"]["count"] == 0 and c3["removal"]["count"] == 0

    # removal
    df4 = df3[~df3.customer_id.isin([2, 11])].reset_index(drop=True)
    v4 = reg.save(df4, "dataset:churn", reason="customers asked for deletion")
    c4 = changes(reg, v4.ref)
    assert c4["types"] == ["removal"]
    assert c4["removal"]["count"] == 2 and "keys" not in c4["removal"]  # row keys never inline in the event
    removed = json.loads(reg._svc.ctx.blobs.get(c4["removal"]["keys_blob"]))  # noqa: SLF001
    assert sorted(removed["keys"]) == [2, 11] and c4["removal"]["keys_blob"] in reg.resolve(v4.ref)["blobs"]

    # schema change: a column added, one removed, one retyped
    df5 = df4.drop(columns=["visits"]).assign(region="north", tenure=df4.tenure.astype("int64"))
    v5 = reg.save(df5, "dataset:churn")
    s5 = changes(reg, v5.ref)["schema"]
    assert changes(reg, v5.ref)["types"] == ["schema"]
    assert s5["added"] == ["region"] and s5["removed"] == ["visits"]
    assert s5["dtype_changed"] == {"tenure": ["float64", "int64"]}

    # a second correction, then the whole history
    df6 = df5.copy()
    df6.loc[df6.customer_id == 1, "churn"] = "unknown"
    v6 = reg.save(df6, "dataset:churn", reason="customer 1 still in trial")
    hist = reg.corrections("dataset:churn")
    assert list(hist.columns) == [
        "key",
        "column",
        "old_label",
        "new_label",
        "version",
        "author",
        "created_at",
        "reason",
        "migration",
    ]
    assert hist[["key", "old_label", "new_label", "version", "author"]].values.tolist() == [
        [1, "churn", "stay", v3.ref, "bob"],
        [4, "stay", "churn", v3.ref, "bob"],
        [1, "stay", "unknown", v6.ref, "alice"],
    ]
    assert set(hist.reason) == {"audit of Q1 cancellations", "customer 1 still in trial"}
    assert (hist.created_at.iloc[:2] == reg.get(v3.ref).created_at).all()
    assert len(reg.corrections(v3.ref)) == 2 and len(reg.corrections(v2.ref)) == 0
    # the originals are preserved: version 2 still holds the labels before correction
    old = reg.load(v2.ref).set_index("customer_id")["churn"]
    assert old[1] == "churn" and old[4] == "stay"
    # the corrections blob is covered by verify (and therefore by gc)
    cid = reg.resolve(v3.ref)["dataset"]["corrections"]
    assert cid in reg.resolve(v3.ref)["blobs"]
    assert reg.verify().ok
    reg.blobs.delete(cid)
    report = reg.verify(v3.ref)
    assert not report.ok and any(cid in p["object"] for p in report.problems)


def test_bad_dataset_options_are_refused_and_nothing_is_stored(reg):
    df = base_frame()
    dup = pd.concat([df, df.iloc[:1]], ignore_index=True)
    with pytest.raises(UsageInputError, match="duplicate"):
        reg.save(dup, "dataset:d", key="customer_id")
    sorted_dup = dup.sort_values("customer_id", kind="stable", ignore_index=True)  # the vectorised check's path
    assert sorted_dup["customer_id"].is_monotonic_increasing
    with pytest.raises(UsageInputError, match="duplicate"):
        reg.save(sorted_dup, "dataset:d", key="customer_id")
    with pytest.raises(UsageInputError, match="'nope'"):
        reg.save(df, "dataset:d", key="customer_id", label="nope")
    with pytest.raises(UsageInputError, match="dataset versions only"):
        reg.save(np.zeros(3), "model:m", key="customer_id")
    reg.save(SCHEMA_V1, "label_schema:s")
    with pytest.raises(UsageInputError, match="not in label_schema:s@1: maybe"):
        reg.save(df.assign(churn="maybe"), "dataset:d", key="customer_id", label="churn", schema="label_schema:s@1")
    reg.save(np.zeros(2), "model:other")
    with pytest.raises(UsageInputError, match="label_schema version"):
        reg.save(df, "dataset:d", key="customer_id", label="churn", schema="model:other@1")
    assert "dataset:d" not in reg.state["assets"]


def test_a_large_dataset_refused_by_a_hook_while_its_chunks_are_written_stores_no_version(reg):
    """Payloads of 8 MiB and more are written while the save hooks run; a hook's refusal still leaves no version
    and no event, waits for the writer (no write goes on behind the error), and `gc` removes the chunks."""
    import threading

    n = 600_000
    big = pd.DataFrame({"customer_id": np.arange(n), "x": np.random.default_rng(0).standard_normal(n)})
    big = pd.concat([big, big.iloc[:1]], ignore_index=True)  # a duplicate key: the dataset hook refuses
    assert big.memory_usage(index=False).sum() >= 8 << 20
    head = reg.state["seq"]
    with pytest.raises(UsageInputError, match="duplicate"):
        reg.save(big, "dataset:big", key="customer_id")
    assert not any(t.name.startswith("lifecycle-save") and t.is_alive() for t in threading.enumerate())
    assert reg.state["seq"] == head and "dataset:big" not in reg.state["assets"]
    assert reg.gc(grace_seconds=0).removed > 0  # the refused save's chunks were unreferenced
    assert reg.verify().ok


def _labeled(classes, n):
    return pd.DataFrame({"id": np.arange(n), "y": [classes[i % len(classes)] for i in range(n)]})


def test_label_schema_rename_and_split_are_retroactive_with_impact(reg):
    reg.save(SCHEMA_V1, "label_schema:cl")
    d1 = reg.save(
        _labeled(["stay", "churn", "unknown"], 9), "dataset:a", key="id", label="y", schema="label_schema:cl@1"
    )
    m1 = reg.save(np.zeros(2), "model:m", inputs=[d1.ref])
    # rename churn -> churned (explicit mapping); description unchanged
    v2 = {
        "classes": [
            {"name": "stay", "description": "customer renews"},
            {"name": "churned", "description": "customer cancels within 90 days"},
            {"name": "unknown", "description": "not yet observable"},
        ]
    }
    s2 = reg.save(v2, "label_schema:cl", mapping={"churn": "churned"}, reason="naming convention")
    rec2 = reg.resolve(s2.ref)["label_schema"]
    assert rec2["retroactive"] and rec2["affected"] == ["churn"]
    assert [(c["type"], c["old"], c["new"]) for c in rec2["changes"]] == [("renamed", ["churn"], ["churned"])]
    d2 = reg.save(_labeled(["stay", "churned"], 6), "dataset:b", key="id", label="y", schema=s2.ref)
    m2 = reg.save(np.ones(2), "model:m", inputs=[d2.ref])

    imp = reg.schema_impact(s2.ref)
    assert imp.affected_classes == ["churn"]
    assert [(d["dataset"], d["samples"]) for d in imp.datasets] == [(d1.ref, {"churn": 3})]
    assert imp.models == [{"model": m1.ref, "trained_on": [d1.ref], "stage": None, "live": False}]

    # split stay -> stay_active + stay_passive
    v3 = {
        "classes": [
            {"name": "stay_active", "description": "renews and uses the product"},
            {"name": "stay_passive", "description": "renews without usage"},
            {"name": "churned", "description": "customer cancels within 90 days"},
            {"name": "unknown", "description": "not yet observable"},
        ]
    }
    s3 = reg.save(v3, "label_schema:cl", mapping={"stay": ["stay_active", "stay_passive"]})
    ch3 = reg.resolve(s3.ref)["label_schema"]["changes"]
    assert [(c["type"], c["old"], c["new"], c["retroactive"]) for c in ch3] == [
        ("split", ["stay"], ["stay_active", "stay_passive"], True)
    ]
    imp3 = reg.schema_impact(s3.ref)
    assert {d["dataset"]: d["samples"] for d in imp3.datasets} == {d1.ref: {"stay": 3}, d2.ref: {"stay": 3}}
    assert {m["model"] for m in imp3.models} == {m1.ref, m2.ref}
    diff = reg.diff(s2.ref, s3.ref)
    assert diff.sections["retroactive"] and diff.sections["impact"]["affected_classes"] == ["stay"]
    assert "split" in repr(diff) and "retroactive" in diff._repr_html_()

    # gate check: model 2 trained on data labeled under @2, which @3 changed retroactively
    ok, evidence = schema_is_current(reg.services, reg.resolve(m2.ref))
    assert not ok and evidence[0]["retroactive_since"] == [s3.ref]
    d3 = reg.save(_labeled(["stay_active", "churned"], 4), "dataset:c", key="id", label="y", schema=s3.ref)
    m3 = reg.save(np.full(2, 3.0), "model:m", inputs=[d3.ref])
    assert schema_is_current(reg.services, m3.ref) == (
        True,
        [{"dataset": d3.ref, "schema": s3.ref, "current": s3.ref, "ok": True, "retroactive_since": []}],
    )


def test_label_schema_inferred_rename_additive_class_and_bad_mapping(reg):
    reg.save(SCHEMA_V1, "label_schema:cl")
    doc = {
        "classes": [
            {"name": "stay", "description": "customer renews"},
            {"name": "cancelled", "description": "customer cancels within 90 days"},
            {"name": "unknown", "description": "not yet observable"},
            {"name": "paused", "description": "subscription paused"},
        ]
    }
    v2 = reg.save(doc, "label_schema:cl")
    ch = reg.resolve(v2.ref)["label_schema"]["changes"]
    assert [(c["type"], c["old"], c["new"], c["retroactive"]) for c in ch] == [
        ("added", [], ["paused"], False),
        ("renamed", ["churn"], ["cancelled"], True),
    ]
    with pytest.raises(UsageInputError, match="'gone'"):
        reg.save({"classes": [{"name": "x", "description": ""}]}, "label_schema:cl", mapping={"gone": "x"})
    with pytest.raises(UsageInputError, match="classes"):
        reg.save({"labels": []}, "label_schema:other")
    assert len(reg.state["assets"]["label_schema:cl"]["versions"]) == 2
