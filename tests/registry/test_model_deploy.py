"""Deploying a stored model: monitoring compares its input columns only, small batches raise no drift alerts,
and the deployment record and ``explain`` name the framework, format, signature and content digest."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests.support.monitor_data import frame
from tests.support.policy import build_policy

FEATURES = ["income", "age"]


@pytest.fixture
def deployed(make_registry: Any) -> tuple[Any, Any]:
    from sklearn.linear_model import LogisticRegression

    reg = make_registry(policy=build_policy(monitoring={"on_alert": "record"}))
    train = frame(5_000, seed=1).drop(columns=["event_time", "tenure"])
    train.insert(0, "customer_id", np.arange(len(train)))  # a key: every production batch has new ids
    train["churned"] = (train["age"] > 50).astype(int)  # a label: production batches have none
    reg.save(train, "dataset:train", key="customer_id", label="churned")
    model = LogisticRegression(max_iter=2000).fit(train[FEATURES], train["churned"])
    reg.save(model, "model:churn", inputs=["dataset:train@1"], input_example=train[FEATURES])
    reg.save({"weights": [1]}, "model:plain", inputs=["dataset:train@1"])  # no signature: old behaviour
    for stage in ("development", "staging"):
        reg.as_user("carol").promote("model:churn@1", to=stage)
    reg.as_user("carol").promote("model:churn@1", to="production", known_limitations="trained on 2026 data")
    return reg, model


def _batch(n: int, seed: int, model: Any, shift: float = 0.0) -> Any:
    b = frame(n, seed=seed, shift=shift).drop(columns=["event_time", "tenure"])
    b.insert(0, "customer_id", np.arange(10_000_000, 10_000_000 + n))
    b["prediction"] = model.predict(b[FEATURES])
    return b


def test_monitoring_compares_only_the_models_input_columns(deployed: Any) -> None:
    reg, model = deployed
    batch = _batch(3_000, 2, model)
    r = reg.monitor("model:churn@1", batch)
    assert set(r.evidence["features"]) == set(FEATURES)  # not customer_id, not churned, not plan/active
    assert r.evidence["schema"] == [] and r.level == "ok", r.findings
    assert r.evidence["predictions"]  # the signature's output column was found in the batch
    # the same batch against a model without a signature: key and label columns raise false alerts
    r = reg.monitor("model:plain@1", batch.drop(columns="prediction"))
    alerted = {f.get("feature") for f in r.findings} | {s["column"] for s in r.evidence["schema"]}
    assert r.level == "alert" and {"customer_id", "churned"} & alerted


def test_small_batches_are_recorded_without_drift_alerts(deployed: Any) -> None:
    reg, model = deployed
    r = reg.monitor("model:churn@1", _batch(50, 3, model, shift=1.5))
    assert r.level == "ok" and r.evidence["small_batch"] == {"rows": 50, "min_batch_rows": 100}
    assert r.evidence["features"]["age"]["psi"] > 0.25  # the drift is measured and kept, just not alerted on
    assert len(reg.drift_history("model:churn@1").batches) == 1
    reg.set_policy(build_policy(monitoring={"min_batch_rows": 20}))
    r = reg.monitor("model:churn@1", _batch(50, 3, model, shift=1.5))
    assert r.level == "alert" and "small_batch" not in r.evidence


def test_deployment_record_and_explain_name_the_model(deployed: Any) -> None:
    reg, _ = deployed
    rec = reg.deployment("model:churn@1")
    v = reg.get("model:churn@1")
    assert rec.framework == "scikit-learn" and rec.framework_version and rec.serialization_format == "skops"
    assert rec.content_hash == v.content_hash
    assert [c["name"] for c in rec.signature["inputs"]] == FEATURES
    assert "signature: (income: float64, age: int64) -> (prediction: int64)" in repr(rec)
    assert "signature" in rec._repr_html_()
    ex = reg.explain("model:churn@1")
    assert ex.model["format"] == "skops" and ex.model["content_hash"] == v.content_hash
    text = repr(ex)
    assert f"model: scikit-learn {rec.framework_version} as skops, content {v.content_hash}" in text
    assert "signature: (income: float64, age: int64)" in text
    assert "signature" in ex._repr_html_()
