"""Fitted models stored in their frameworks' own formats: round trips predict exactly as the original did."""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

from lifecycle_ext.core.errors import MissingDependency, UntrustedType, UsageInputError
from lifecycle_ext.storage.models import require


@pytest.fixture(scope="module")
def data() -> tuple[Any, Any, Any, Any]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return tuple(train_test_split(X, y, test_size=0.3, random_state=0))  # type: ignore[return-value]


def _recorded(reg: Any, ref: str, framework: str, fmt: str) -> None:
    s = reg.get(ref).summary
    assert s["framework"] == framework and s["format"] == fmt
    assert s["framework_version"] and s["framework_version"] != "unknown"
    assert s["python"] == ".".join(map(str, sys.version_info[:3]))


def test_sklearn_pipeline_round_trip(reg: Any, data: Any) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    Xtr, Xte, ytr, _ = data
    pipe = make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=20, random_state=0)).fit(Xtr, ytr)
    v = reg.save(pipe, "model:rf")
    assert v.object_type == "sklearn"
    _recorded(reg, "model:rf", "scikit-learn", "skops")
    back = reg.load("model:rf")
    assert type(back) is type(pipe) and back is not pipe
    np.testing.assert_array_equal(back.predict(Xte), pipe.predict(Xte))
    np.testing.assert_array_equal(back.predict_proba(Xte), pipe.predict_proba(Xte))
    # same model again: same content, nothing new stored
    assert reg.save(pipe, "model:rf").number == 1


class Clip:
    """A user transformer that is not trusted by default; constructing it would be visible."""

    built = 0

    def __init__(self) -> None:
        Clip.built += 1

    def __setstate__(self, state: dict[str, Any]) -> None:
        Clip.built += 1
        self.__dict__.update(state)

    def fit(self, X: Any, y: Any = None) -> Clip:
        return self

    def transform(self, X: Any) -> Any:
        return np.clip(X, -1e6, 1e6)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {}


def test_untrusted_type_is_refused_naming_it_and_nothing_runs(reg: Any, data: Any) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    Xtr, Xte, ytr, _ = data
    pipe = Pipeline([("clip", Clip()), ("lr", LogisticRegression(max_iter=5000))]).fit(Xtr, ytr)
    reg.save(pipe, "model:custom")
    name = f"{Clip.__module__}.Clip"
    before = Clip.built
    with pytest.raises(UntrustedType) as err:
        reg.load("model:custom")
    assert name in str(err.value) and "trusted=" in str(err.value) and err.value.types == [name]
    assert Clip.built == before  # nothing of the file was built
    back = reg.load("model:custom", trusted=[name])  # allowed explicitly, for this load
    np.testing.assert_array_equal(back.predict(Xte), pipe.predict(Xte))
    with pytest.raises(UntrustedType):  # the permission did not outlive that load
        reg.load("model:custom")
    with pytest.raises(UsageInputError, match="fully qualified"):
        reg.load("model:custom", trusted=["Clip"])


def test_xgboost_round_trip(reg: Any, data: Any) -> None:
    import xgboost as xgb

    Xtr, Xte, ytr, _ = data
    clf = xgb.XGBClassifier(n_estimators=30, max_depth=3).fit(Xtr, ytr)
    assert reg.save(clf, "model:xgb").object_type == "xgboost"
    _recorded(reg, "model:xgb", "xgboost", "xgboost-json")
    back = reg.load("model:xgb")
    assert isinstance(back, xgb.XGBClassifier)
    np.testing.assert_array_equal(back.predict(Xte), clf.predict(Xte))
    np.testing.assert_array_equal(back.predict_proba(Xte), clf.predict_proba(Xte))
    booster = clf.get_booster()
    reg.save(booster, "model:xgb-booster")
    b = reg.load("model:xgb-booster")
    np.testing.assert_array_equal(b.predict(xgb.DMatrix(Xte)), booster.predict(xgb.DMatrix(Xte)))


def test_lightgbm_round_trip(reg: Any, data: Any) -> None:
    import lightgbm as lgb

    Xtr, Xte, ytr, _ = data
    labels = np.where(ytr == 1, "benign", "malignant")  # string classes survive
    clf = lgb.LGBMClassifier(n_estimators=30, verbose=-1).fit(Xtr, labels)
    assert reg.save(clf, "model:lgb").object_type == "lightgbm"
    _recorded(reg, "model:lgb", "lightgbm", "lightgbm-text")
    back = reg.load("model:lgb")
    assert isinstance(back, lgb.LGBMClassifier)
    np.testing.assert_array_equal(back.predict(Xte), clf.predict(Xte))
    np.testing.assert_array_equal(back.predict_proba(Xte), clf.predict_proba(Xte))
    assert list(back.classes_) == ["benign", "malignant"]
    reg.save(clf.booster_, "model:lgb-booster")
    np.testing.assert_array_equal(reg.load("model:lgb-booster").predict(Xte), clf.booster_.predict(Xte))


def test_torch_mlp_round_trip(reg: Any, data: Any) -> None:
    import torch

    from tests.support.torch_models import MLP, train_mlp

    Xtr, Xte, ytr, _ = data
    mu, sd = Xtr.mean(), Xtr.std()
    model = train_mlp(((Xtr - mu) / sd).to_numpy(), ytr.to_numpy())
    v = reg.save(model, "model:mlp")
    assert v.object_type == "torch_module"
    _recorded(reg, "model:mlp", "pytorch", "safetensors")
    assert v.summary["init_args"] == {"n_in": 30, "hidden": 16, "n_out": 2, "layers": 2}
    back = reg.load("model:mlp")
    assert isinstance(back, MLP) and not back.training
    x = torch.as_tensor(((Xte - mu) / sd).to_numpy(), dtype=torch.float32)
    with torch.no_grad():
        assert torch.equal(back(x), model(x))


def test_torch_module_without_recorded_args_loads_its_state_dict(reg: Any) -> None:
    from torch import nn

    class Opaque(nn.Module):
        def __init__(self, spec: object) -> None:  # the argument is not kept as an attribute
            super().__init__()
            self.lin = nn.Linear(3, 2)

    reg.save(Opaque(object()), "model:opaque")
    assert "not kept" in reg.get("model:opaque").summary["rebuild"]
    with pytest.warns(UserWarning, match="state dict"):
        state = reg.load("model:opaque")
    assert set(state) == {"lin.weight", "lin.bias"}


def test_onnx_round_trip_predicts_like_the_sklearn_original(reg: Any, data: Any) -> None:
    import onnx
    from skl2onnx import to_onnx
    from sklearn.ensemble import RandomForestClassifier

    from lifecycle_ext.storage.models.onnx_model import onnx_session

    Xtr, Xte, ytr, _ = data
    X32 = Xtr.to_numpy(np.float32)
    rf = RandomForestClassifier(n_estimators=10, max_depth=5, random_state=0).fit(X32, ytr)
    model = to_onnx(rf, X32[:1], options={"zipmap": False})
    assert reg.save(model, "model:onnx").object_type == "onnx"
    _recorded(reg, "model:onnx", "onnx", "onnx")
    back = reg.load("model:onnx")
    assert isinstance(back, onnx.ModelProto) and back.SerializeToString() == model.SerializeToString()
    labels, _ = onnx_session(back).run(None, {"X": Xte.to_numpy(np.float32)})
    np.testing.assert_array_equal(labels, rf.predict(Xte.to_numpy(np.float32)))


def test_missing_framework_names_the_extra() -> None:
    with pytest.raises(MissingDependency, match=r"pip install 'lifecycle-ext\[nosuch\]'"):
        require("nosuch_framework_xyz", "nosuch")


def test_a_tree_that_would_read_out_of_bounds_is_refused(reg: Any, data: Any) -> None:
    from sklearn.ensemble import RandomForestClassifier

    from lifecycle_ext.core.errors import IntegrityError

    Xtr, _, ytr, _ = data
    rf = RandomForestClassifier(n_estimators=3, random_state=0).fit(Xtr, ytr)
    tree = rf.estimators_[1].tree_
    state = tree.__getstate__()
    state["nodes"]["left_child"][0] = 10**6  # what a crafted file could hold: scikit-learn would read past the end
    tree.__setstate__(state)
    reg.save(rf, "model:crafted")
    with pytest.raises(IntegrityError, match="child index out of range"):
        reg.load("model:crafted")
