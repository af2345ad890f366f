"""The MLflow bridge both ways, against real MLflow: export loaded by mlflow.pyfunc, import from a real run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lifecycle_ext
from lifecycle_ext.core.errors import ConflictError, UntrustedType, UsageInputError
from tests.support.checkout import checkout_env


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X.iloc[::2], X.iloc[1::2], y


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A real MLflow tracking store: sqlite in a temporary folder, artifacts beside it."""
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # the default artifact root (./mlruns) lands in the temporary folder
    mlflow.set_tracking_uri(uri)
    yield uri
    mlflow.set_tracking_uri(None)


def test_export_sklearn_pipeline_loads_in_mlflow_pyfunc(reg: Any, data: Any, tmp_path: Path) -> None:
    import mlflow.pyfunc
    import yaml
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    Xtr, Xte, y = data
    model = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=10, random_state=0))
    model.fit(Xtr, y.iloc[::2])
    reg.save(model, "model:rf", input_example=Xtr)
    result = reg.export("model:rf", "mlflow", tmp_path / "exported")
    assert result.format == "mlflow" and result.ref == "model:rf@1"
    (out,) = result.paths
    files = {p.name for p in Path(out).iterdir()}
    assert {"MLmodel", "model.skops", "requirements.txt", "input_example.json"} <= files
    mlmodel = yaml.safe_load((Path(out) / "MLmodel").read_text())
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "skops"
    assert '"name": "mean radius"' in mlmodel["signature"]["inputs"]
    assert any(line.startswith("scikit-learn==") for line in (Path(out) / "requirements.txt").read_text().split())
    pf = mlflow.pyfunc.load_model(out)
    np.testing.assert_array_equal(np.asarray(pf.predict(Xte)), model.predict(Xte))
    with pytest.raises(ConflictError, match="already exists"):
        reg.export("model:rf", "mlflow", out)
    with pytest.raises(UsageInputError, match="unknown export format 'nope'"):
        reg.export("model:rf", "nope", tmp_path / "x")


def test_export_xgboost_lightgbm_and_onnx(reg: Any, data: Any, tmp_path: Path) -> None:
    import lightgbm as lgb
    import mlflow.pyfunc
    import xgboost as xgb
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    Xtr, Xte, y = data
    ytr = y.iloc[::2]
    xg = xgb.XGBClassifier(n_estimators=10).fit(Xtr, ytr)
    reg.save(xg, "model:xgb", input_example=Xtr)
    pf = mlflow.pyfunc.load_model(reg.export("model:xgb", "mlflow", tmp_path / "xgb").paths[0])
    np.testing.assert_array_equal(np.asarray(pf.predict(Xte)), xg.predict(Xte))

    lg = lgb.LGBMClassifier(n_estimators=10, verbose=-1).fit(Xtr, ytr)
    reg.save(lg, "model:lgb", input_example=Xtr)
    pf = mlflow.pyfunc.load_model(reg.export("model:lgb", "mlflow", tmp_path / "lgb").paths[0])
    np.testing.assert_array_equal(np.asarray(pf.predict(Xte)), lg.predict(Xte))

    X32 = Xtr.to_numpy(np.float32)
    lr = LogisticRegression(max_iter=5000).fit(X32, ytr)
    reg.save(to_onnx(lr, X32[:1], options={"zipmap": False}), "model:onnx", input_example=Xtr.astype("float32"))
    pf = mlflow.pyfunc.load_model(reg.export("model:onnx", "mlflow", tmp_path / "onnx").paths[0])
    np.testing.assert_array_equal(pf.predict(Xte.to_numpy(np.float32))["label"], lr.predict(Xte.to_numpy(np.float32)))


def test_export_refuses_what_mlflow_would_pickle(reg: Any, tmp_path: Path) -> None:
    from tests.support.torch_models import MLP

    reg.save(MLP(3, 4, 2), "model:mlp")
    with pytest.raises(UsageInputError, match="pickles the module"):
        reg.export("model:mlp", "mlflow", tmp_path / "mlp")
    assert not (tmp_path / "mlp").exists()


def test_import_from_a_real_mlflow_run(reg: Any, data: Any, tracking: str) -> None:
    import mlflow
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    Xtr, Xte, y = data
    model = LogisticRegression(max_iter=5000).fit(Xtr, y.iloc[::2])
    with mlflow.start_run(run_name="baseline") as run:
        mlflow.log_params({"C": 1.0, "max_iter": 5000})
        mlflow.log_metric("accuracy", 0.95)
        mlflow.set_tag("team", "churn")
        info = mlflow.sklearn.log_model(
            model, name="model", serialization_format="skops", input_example=Xtr.head(3), registered_model_name="churn"
        )
    v = reg.import_mlflow("models:/churn/1")
    assert v.ref == "model:churn@1" and v.object_type == "sklearn"
    assert v.params == {"C": "1.0", "max_iter": "5000"} and v.metrics == {"accuracy": 0.95}
    m = v.metadata["mlflow"]
    assert m["run_id"] == run.info.run_id and m["run_name"] == "baseline" and m["tags"]["team"] == "churn"
    assert m["tracking_uri"] == tracking and m["flavor"] == "sklearn"
    assert [c["name"] for c in v.signature["inputs"]] == list(Xtr.columns)
    assert v.input_example["columns"] == list(Xtr.columns)
    np.testing.assert_array_equal(reg.predictor("model:churn").predict(Xte), model.predict(Xte))
    # the same model by its run URI, from the CLI (tracking URI from $MLFLOW_TRACKING_URI)
    r = subprocess.run(
        [sys.executable, "-m", "lifecycle_ext.cli", "--registry", reg.location, "import-mlflow", info.model_uri]
        + ["--name", "churn-run"],
        capture_output=True,
        text=True,
        env=checkout_env(LIFECYCLE_USER="alice", MLFLOW_TRACKING_URI=tracking),
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert (
        lifecycle_ext.open_registry(reg.location).get("model:churn-run").metadata["mlflow"]["run_id"] == run.info.run_id
    )


def test_import_refuses_a_pickled_mlflow_model(reg: Any, data: Any, tracking: str, tmp_path: Path) -> None:
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    Xtr, _, y = data
    path = tmp_path / "pickled"
    mlflow.sklearn.save_model(
        LogisticRegression(max_iter=5000).fit(Xtr, y.iloc[::2]), str(path), serialization_format="cloudpickle"
    )
    with pytest.raises(UntrustedType, match="cloudpickle"):
        reg.import_mlflow(str(path), name="pickled")
    assert "model:pickled" not in reg.state["assets"]
