"""LightGBM models in LightGBM's own text format; a scikit-learn wrapper is rebuilt around the loaded booster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..codecs import Codec
from ..payload import Payload
from . import add_bytes, methods_of, model_record, read_bytes, require

__all__ = ["lightgbm_codec"]

EXTRA = "lightgbm"


def lightgbm_codec() -> Codec:
    return Codec(
        "lightgbm",
        "LightGBM model (text)",
        _encode,
        _decode,
        types=("lightgbm.sklearn.LGBMModel", "lightgbm.basic.Booster"),
    )


def _encode(model: Any) -> Payload:
    lgb = require("lightgbm", EXTRA)
    booster = model if isinstance(model, lgb.Booster) else model.booster_
    text = booster.model_to_string().encode()
    p = Payload("lightgbm")
    p.attrs["model"] = add_bytes(p, "model", text)
    if not isinstance(model, lgb.Booster):
        wrapper: dict[str, Any] = {"params": json.loads(json.dumps(model.get_params(), default=str))}
        classes = getattr(model, "classes_", None) if hasattr(model, "_le") else None
        if classes is not None:
            wrapper["classes"] = np.asarray(classes).tolist()
            wrapper["objective"] = model._objective
        p.attrs["wrapper"] = wrapper
    p.summary = model_record("lightgbm", lgb, "lightgbm-text", model, methods=methods_of(model), size=len(text))
    p.summary["feature_names"] = list(booster.feature_name())
    p.attrs["record"] = p.summary
    p.finish()
    return p


def _decode(group: Any, attrs: dict[str, Any], dest: Path | None) -> Any:
    lgb = require("lightgbm", EXTRA)
    booster = lgb.Booster(model_str=read_bytes(group, attrs["model"]).decode())
    wrapper = attrs.get("wrapper")
    if wrapper is None:
        return booster
    cls_name = attrs["record"]["model_class"].rsplit(".", 1)[-1]
    cls = getattr(lgb, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, lgb.LGBMModel)):
        raise ValueError(f"stored LightGBM model class {attrs['record']['model_class']!r} is not a LightGBM model")
    params = {k: v for k, v in wrapper["params"].items() if k in cls().get_params()}
    model = cls(**params)
    # the attributes LGBMModel.fit sets (lightgbm 4.x); prediction reads the booster and, for classifiers,
    # the label encoder
    model._Booster = booster
    model._n_features = booster.num_feature()
    model._n_features_in = booster.num_feature()
    model._fitted_with_feature_names = not all(n.startswith("Column_") for n in booster.feature_name())
    model._evals_result = {}
    model._best_iteration = booster.best_iteration
    model._best_score = {}
    model.fitted_ = True
    if "classes" in wrapper:
        from sklearn.preprocessing import LabelEncoder

        le = LabelEncoder()
        le.classes_ = np.asarray(wrapper["classes"])
        model._le = le
        model._classes = le.classes_
        model._n_classes = len(le.classes_)
        model._class_map = {c: i for i, c in enumerate(le.classes_)}
        model._objective = wrapper["objective"]
    return model
