"""XGBoost models in XGBoost's own JSON format (the scikit-learn wrappers keep their wrapper class)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..codecs import Codec
from ..payload import Payload
from . import add_bytes, methods_of, model_record, read_bytes, require

__all__ = ["xgboost_codec", "xgboost_json"]

EXTRA = "xgboost"


def xgboost_codec() -> Codec:
    return Codec(
        "xgboost",
        "XGBoost model (JSON)",
        _encode,
        _decode,
        types=("xgboost.sklearn.XGBModel", "xgboost.core.Booster"),
    )


def xgboost_json(model: Any) -> bytes:
    """The model as XGBoost JSON; for a scikit-learn wrapper, with its wrapper attributes (classes, ...)."""
    xgb = require("xgboost", EXTRA)
    if isinstance(model, xgb.Booster):
        return bytes(model.save_raw(raw_format="json"))
    fd, name = tempfile.mkstemp(suffix=".json", prefix="lifecycle-xgb-")
    os.close(fd)
    try:
        model.save_model(name)
        return Path(name).read_bytes()
    finally:
        os.unlink(name)


def _encode(model: Any) -> Payload:
    xgb = require("xgboost", EXTRA)
    data = xgboost_json(model)
    p = Payload("xgboost")
    p.attrs["model"] = add_bytes(p, "model", data)
    p.summary = model_record("xgboost", xgb, "xgboost-json", model, methods=methods_of(model), size=len(data))
    booster = model if isinstance(model, xgb.Booster) else model.get_booster()
    if booster.feature_names:
        p.summary["feature_names"] = list(booster.feature_names)
    p.attrs["record"] = p.summary
    p.finish()
    return p


def _decode(group: Any, attrs: dict[str, Any], dest: Path | None) -> Any:
    xgb = require("xgboost", EXTRA)
    data = bytearray(read_bytes(group, attrs["model"]))
    cls_name = attrs["record"]["model_class"].rsplit(".", 1)[-1]
    cls = getattr(xgb, cls_name, None)
    if not (isinstance(cls, type) and issubclass(cls, (xgb.Booster, xgb.XGBModel))):
        raise ValueError(f"stored XGBoost model class {attrs['record']['model_class']!r} is not an xgboost model")
    model = cls()
    model.load_model(data)
    return model
