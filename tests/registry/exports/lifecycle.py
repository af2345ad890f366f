"""A registry taken through a whole lifecycle, shared by the export tests.

A label schema, a labelled dataset (licence, source), a model made by a tracked run (captured without IPython)
with metrics and the documentation fields, approvals, staging, production, a second model version released
and rolled back, and retirement. Every export format is checked against this one registry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lifecycle_ext.provenance.tracker import TrackedRun, TrackSpec
from tests.support.policy import MODELS, approvals, build_policy, gate
from tests.support.users import ALICE, BOB, CAROL, DAVE

__all__ = ["Lifecycle", "build_lifecycle", "POLICY", "SCHEMA"]

SCHEMA = {
    "classes": [
        {"name": "stay", "description": "customer renews"},
        {"name": "churn", "description": "customer cancels within 90 days"},
    ]
}

PERMISSIONS = {
    "promote": ["data-scientist", "release-manager"],
    "promote.production": ["release-manager"],
    "request": ["data-scientist"],
    "approve": ["reviewer"],
    "reject": ["reviewer"],
    "rollback": ["release-manager"],
    "retire": ["release-manager"],
    "set_policy": ["release-manager"],
}

POLICY = build_policy(
    users=(ALICE, BOB, CAROL, DAVE),
    permissions=PERMISSIONS,
    gates={
        "staging": [
            gate("metric", kinds=MODELS, thresholds=["accuracy >= 0.8"]),
            gate("lineage", kinds=MODELS, licences=["CC-BY-4.0", "MIT"]),
            approvals("reviewer", count=1),
        ],
        "production": [approvals("reviewer", count=2)],
    },
)

TRAIN = "weights = np.linspace(0.0, 1.0, 8) * scale + 0 * len(train)\n"

DOCS = {
    "intended_use": "rank customers by churn risk for the retention team's monthly outreach",
    "out_of_scope_use": "credit, pricing or employment decisions about individuals",
    "risks": ["under-represents customers younger than 3 months", "labels lag cancellations by 90 days"],
    "licence": "MIT",
    "description": "gradient-boosted churn scorer",
}


@dataclass
class Lifecycle:
    reg: Any  # alice's registry
    schema: str
    dataset: str
    model_v1: str
    model_v2: str
    frame: pd.DataFrame


def _tracked_model(reg: Any, frame: pd.DataFrame, dataset: str, scale: float, metrics: dict[str, float]) -> str:
    """A model version made the way ``%%track`` makes one: the cell's record, its input, seed and environment."""
    ns: dict[str, Any] = {"np": np, "scale": scale, "train": frame}
    run = TrackedRun(
        TRAIN, TrackSpec(outputs={"weights": "model:churn"}, seed=7), execution_count=3, notebook="train.ipynb"
    )
    run.start(ns, lambda o: dataset if o is frame else None)
    exec(TRAIN, ns)
    run.finish(None)
    env_blob, _ = reg.blobs.put(json.dumps({"python": "3.11.9", "packages": {"numpy": np.__version__}}).encode())
    record = {**run.base_record(), "environment": env_blob, "environment_summary": {"python": "3.11.9"}}
    v = reg.save(
        ns["weights"],
        "model:churn",
        params={"scale": scale},
        metrics=metrics,
        metadata=DOCS,
        inputs=[dataset],
        record=record,
        blobs=[env_blob],
    )
    return str(v.ref)


def build_lifecycle(make_registry: Any) -> Lifecycle:
    """The whole lifecycle; returns refs of what it made (the registry acts as alice)."""
    reg = make_registry(policy=POLICY, policy_by="carol")
    bob, carol, dave = reg.as_user("bob"), reg.as_user("carol"), reg.as_user("dave")
    schema = reg.save(SCHEMA, "label_schema:churn-labels").ref
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(6, dtype=np.int64),
            "tenure": [1.5, 2.0, 7.25, 0.5, 3.0, 9.0],
            "plan": pd.Categorical(["basic", "pro", "pro", "basic", "team", "pro"]),
            "churn": ["stay", "churn", "stay", "churn", "stay", "stay"],
            "score": pd.array([1, None, 3, 4, None, 6], dtype="Int64"),
        }
    )
    dataset = reg.save(
        frame,
        "dataset:churn",
        key="customer_id",
        label="churn",
        schema=schema,
        source="crm export 2026-10",
        metadata={"licence": "CC-BY-4.0", "description": "customers of the CRM export"},
    ).ref
    refs = []
    for scale, acc in ((1.0, 0.91), (2.0, 0.93)):
        ref = _tracked_model(reg, frame, dataset, scale, {"accuracy": acc, "f1": acc - 0.07})
        reg.promote(ref, "development", reason="first candidate")
        reg.request_promotion(ref, "staging", reason="beats the baseline")
        bob.approve(ref, "staging", reason="metrics checked")
        reg.promote(ref, "staging", reason="gates pass")
        reg.request_promotion(ref, "production", reason="ready for release")
        bob.approve(ref, "production", reason="looks good")
        dave.approve(ref, "production", reason="bias review done")
        carol.promote(ref, "production", reason="release", known_limitations="weak on customers younger than 3 months")
        refs.append(ref)
    carol.rollback("model:churn", reason="error rate rose after release")
    carol.retire(refs[1], reason="rolled back; replaced by the previous version", replaced_by=refs[0])
    return Lifecycle(reg, schema, dataset, refs[0], refs[1], frame)
