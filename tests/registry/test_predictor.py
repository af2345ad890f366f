"""Signatures, input examples and predictors: input checked first, then the framework predicts."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import numpy as np
import pandas as pd
import pytest

from lifecycle_ext.core.errors import UsageInputError
from lifecycle_ext.registry.models.signature import CastApplied
from tests.support.checkout import checkout_env


@pytest.fixture(scope="module")
def fitted() -> tuple[Any, pd.DataFrame, pd.DataFrame, Any]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"age": rng.normal(40, 10, 600), "visits": rng.integers(0, 20, 600), "spend": rng.gamma(2, 50, 600)}
    )
    y = (X["visits"] * 3 + X["age"] / 10 + rng.normal(0, 5, 600) > 35).astype(int)
    model = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=15, random_state=0))
    model.fit(X.iloc[:400], y.iloc[:400])
    return model, X.iloc[:400], X.iloc[400:], y


def test_signature_and_example_recorded_and_shown(reg: Any, fitted: Any) -> None:
    model, Xtr, _, _ = fitted
    v = reg.save(model, "model:churn", input_example=Xtr)
    assert v.signature["inputs"] == [
        {"name": "age", "dtype": "float64"},
        {"name": "visits", "dtype": "int64"},
        {"name": "spend", "dtype": "float64"},
    ]
    assert v.signature["outputs"] == [{"name": "prediction", "dtype": "int64"}]  # from predicting on the example
    assert v.input_example["columns"] == ["age", "visits", "spend"] and len(v.input_example["data"]) == 5
    assert "visits: int64" in repr(v) and "prediction: int64" in repr(v)
    html = v._repr_html_()
    assert "signature" in html and "input example" in html and "<code>float64</code>" in html
    # an explicit signature wins; a DataFrame gives the inputs
    v2 = reg.save(model, "model:churn2", signature=Xtr[["age", "visits", "spend"]])
    assert [c["name"] for c in v2.signature["inputs"]] == ["age", "visits", "spend"] and v2.input_example is None
    with pytest.raises(UsageInputError, match="signature="):
        reg.save(model, "model:churn3", signature=42)


def test_predictor_predicts_like_the_model_and_checks_input(reg: Any, fitted: Any) -> None:
    model, Xtr, Xte, _ = fitted
    reg.save(model, "model:churn", input_example=Xtr)
    p = reg.predictor("model:churn")
    assert p.ref == "model:churn@1" and p.has_proba
    np.testing.assert_array_equal(p.predict(Xte), model.predict(Xte))
    np.testing.assert_array_equal(p.predict_proba(Xte), model.predict_proba(Xte))
    # columns in another order are fine (selected by name)
    np.testing.assert_array_equal(p.predict(Xte[["spend", "age", "visits"]]), model.predict(Xte))

    with pytest.raises(UsageInputError, match=r"missing column\(s\) \['spend'\]"):
        p.predict(Xte.drop(columns="spend"))
    with pytest.raises(UsageInputError, match=r"extra column\(s\) \['customer_id'\]"):
        p.predict(Xte.assign(customer_id=1))
    np.testing.assert_array_equal(p.predict(Xte.assign(customer_id=1), drop_extra=True), model.predict(Xte))
    with pytest.raises(UsageInputError, match=r"column 'age' has dtype object, the signature says float64"):
        p.predict(Xte.assign(age=Xte["age"].astype(str).astype(object)))
    with pytest.raises(UsageInputError, match=r"column 'visits' has dtype float64, the signature says int64"):
        p.predict(Xte.assign(visits=Xte["visits"] + 0.5))
    # int32 -> int64 and int -> float are safe: applied and said
    cast = Xte.assign(visits=Xte["visits"].astype("int32"), spend=Xte["spend"].round().astype("int64"))
    with pytest.warns(CastApplied, match=r"visits: int32 -> int64, spend: int64 -> float64"):
        out = p.predict(cast)
    np.testing.assert_array_equal(out, model.predict(cast.astype({"visits": "int64", "spend": "float64"})))


def test_predictor_refuses_non_models(reg: Any) -> None:
    reg.save(np.arange(3), "model:arr")
    with pytest.raises(UsageInputError, match="not a model in a framework format"):
        reg.predictor("model:arr")


def test_predictor_for_xgboost_torch_and_onnx(reg: Any, fitted: Any) -> None:
    import torch
    import xgboost as xgb
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    from tests.support.torch_models import train_mlp

    _, Xtr, Xte, y = fitted
    ytr = y.iloc[:400]
    xg = xgb.XGBClassifier(n_estimators=10).fit(Xtr, ytr)
    reg.save(xg, "model:xgb", input_example=Xtr)
    np.testing.assert_array_equal(reg.predictor("model:xgb").predict_proba(Xte), xg.predict_proba(Xte))

    X32 = Xtr.astype("float32")
    net = train_mlp(X32.to_numpy(), ytr.to_numpy(), epochs=5)
    reg.save(net, "model:mlp", signature=X32)
    with torch.no_grad():
        want = net(torch.tensor(Xte.to_numpy(np.float32))).numpy()
    with pytest.warns(CastApplied):  # visits int64 -> float32 is an integer-to-float cast
        got = reg.predictor("model:mlp").predict(Xte.astype({"age": "float32", "spend": "float32"}))
    np.testing.assert_array_equal(got, want)

    lr = LogisticRegression(max_iter=2000).fit(X32.to_numpy(), ytr)
    reg.save(to_onnx(lr, X32.to_numpy()[:1], options={"zipmap": False}), "model:onnx", signature=X32)
    p = reg.predictor("model:onnx")
    assert p.has_proba
    Xte32 = Xte.astype("float32")
    np.testing.assert_array_equal(p.predict(Xte32), lr.predict(Xte32.to_numpy()))
    np.testing.assert_allclose(p.predict_proba(Xte32), lr.predict_proba(Xte32.to_numpy()), atol=1e-6)


def test_cli_predict_one_million_rows(reg: Any, fitted: Any, tmp_path: Any) -> None:
    from sklearn.linear_model import LogisticRegression

    _, Xtr, _, y = fitted
    model = LogisticRegression(max_iter=2000).fit(Xtr, y.iloc[:400])
    reg.save(model, "model:lr", input_example=Xtr)
    rng = np.random.default_rng(1)
    n = 1_000_000
    big = pd.DataFrame({"age": rng.normal(40, 10, n), "visits": rng.integers(0, 20, n), "spend": rng.gamma(2, 50, n)})
    src, out = tmp_path / "rows.parquet", tmp_path / "out" / "pred.parquet"
    big.to_parquet(src)
    cmd = [sys.executable, "-m", "lifecycle_ext.cli", "--registry", reg.location, "predict", "model:lr"]
    r = subprocess.run(
        [*cmd, "--input", str(src), "--output", str(out)],
        capture_output=True,
        text=True,
        env=checkout_env(LIFECYCLE_USER="alice"),
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert "1000000 predictions of model:lr@1" in r.stdout
    got = pd.read_parquet(out)
    assert list(got.columns) == ["prediction"] and len(got) == n
    np.testing.assert_array_equal(got["prediction"].to_numpy(), model.predict(big))
    # bad input: a clear error, exit code != 0, nothing written
    bad = tmp_path / "bad.csv"
    big.head(10).drop(columns="spend").to_csv(bad, index=False)
    r = subprocess.run(
        [*cmd, "--input", str(bad), "--output", str(tmp_path / "bad_out.csv")],
        capture_output=True,
        text=True,
        env=checkout_env(LIFECYCLE_USER="alice"),
        timeout=600,
    )
    assert r.returncode != 0 and "missing column(s) ['spend']" in r.stderr
    assert not (tmp_path / "bad_out.csv").exists()


def test_rest_version_record_carries_the_signature(reg: Any, fitted: Any, openapi: Any) -> None:
    from lifecycle_ext.registry.actions import CATALOGUE
    from lifecycle_ext.registry.serialize import result_json

    model, Xtr, _, _ = fitted
    v = reg.save(model, "model:churn", input_example=Xtr)
    action = next(a for a in CATALOGUE if a.name == "get")
    body = result_json(action, reg.get(v.ref), reg, {"ref": v.ref})
    openapi.validate(action.route, "GET", 200, body)
    assert body["signature"]["inputs"][1] == {"name": "visits", "dtype": "int64"}
    assert body["input_example"]["columns"] == ["age", "visits", "spend"]
    assert body["summary"]["framework"] == "scikit-learn" and body["summary"]["format"] == "skops"
