"""A stored model as an MLflow model directory, so ``mlflow.pyfunc.load_model(DIR).predict(X)``,
``mlflow models serve`` and every serving stack that takes MLflow models can use it.

The directory is written by the MLflow flavor of the model's framework, in that flavor's own safe format:
scikit-learn and LightGBM scikit-learn wrappers as skops files (with exactly the non-default types they need
listed as trusted), a LightGBM booster as its text model, XGBoost as JSON, ONNX as the ``.onnx`` file. It holds
``MLmodel``, the model file, ``requirements.txt`` (the versions this process has), and the version's signature
and input example. PyTorch modules are refused: MLflow's PyTorch flavor pickles the module.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from ...core.errors import ConflictError, UsageInputError
from ...core.refs import exact_ref
from ...storage.models import require

__all__ = ["export_mlflow", "mlflow_signature"]

EXTRA = "mlflow"


def _pin(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{dist}=={version(dist)}"
    except PackageNotFoundError:
        return dist


def mlflow_signature(rec: Any) -> tuple[Any, Any]:
    """The version's signature as an MLflow ``ModelSignature`` and its input example as a DataFrame."""
    import pandas as pd

    from ..models.signature import Signature, example_frame

    sig_doc, ex_doc = rec.get("signature"), rec.get("input_example")
    if not sig_doc:
        return None, None
    models = require("mlflow.models", EXTRA)
    sig = Signature.from_dict(sig_doc)
    example = example_frame(ex_doc, sig) if ex_doc else None
    inputs = example if example is not None else pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in sig.inputs})
    outputs = None
    if sig.outputs:
        outputs = pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in sig.outputs})
    return models.infer_signature(inputs[sig.input_names], outputs), example


def export_mlflow(services: Any, ref: str, output: str | os.PathLike[str] | None) -> Path:
    """Write version ``ref``'s model as an MLflow model directory at ``output`` (which must not exist yet)."""
    if output is None:
        raise UsageInputError("the mlflow export writes a folder: give output=PATH (--output PATH)")
    out = Path(output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConflictError(f"{out} already exists and is not an empty folder; choose a new path")
    rec = services.ctx.resolve(ref)
    kind = rec["object_type"]
    if kind not in ("sklearn", "xgboost", "lightgbm", "onnx"):
        raise UsageInputError(
            f"{exact_ref(rec)} holds a {kind}; MLflow export supports scikit-learn, XGBoost, LightGBM and ONNX models"
            + (" (MLflow's PyTorch flavor pickles the module)" if kind == "torch_module" else "")
        )
    require("mlflow", EXTRA)
    model = services.versions.load(exact_ref(rec))
    signature, example = mlflow_signature(rec)
    common: dict[str, Any] = {"signature": signature, "input_example": example}
    if out.exists():
        out.rmdir()  # MLflow refuses an existing folder, even an empty one
    try:
        _save(kind, model, out, common)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return out


def _skops_trusted(model: Any) -> list[str]:
    sio = require("skops.io", "sklearn")
    return list(sio.get_untrusted_types(data=sio.dumps(model)))


def _save(kind: str, model: Any, out: Path, common: dict[str, Any]) -> None:
    mlflow_pin = _pin("mlflow")
    if kind == "sklearn":
        import mlflow.sklearn

        mlflow.sklearn.save_model(
            model,
            str(out),
            serialization_format="skops",
            skops_trusted_types=_skops_trusted(model),
            pip_requirements=[mlflow_pin, _pin("scikit-learn"), _pin("skops")],
            **common,
        )
    elif kind == "xgboost":
        import mlflow.xgboost

        mlflow.xgboost.save_model(
            model, str(out), model_format="json", pip_requirements=[mlflow_pin, _pin("xgboost")], **common
        )
    elif kind == "lightgbm":
        import lightgbm as lgb
        import mlflow.lightgbm

        fmt: dict[str, Any] = {}
        if not isinstance(model, lgb.Booster):
            fmt = {"serialization_format": "skops", "skops_trusted_types": _skops_trusted(model)}
        mlflow.lightgbm.save_model(
            model,
            str(out),
            pip_requirements=[mlflow_pin, _pin("lightgbm"), _pin("scikit-learn"), _pin("skops")],
            **fmt,
            **common,
        )
    else:
        import mlflow.models
        import mlflow.onnx
        import numpy as np

        # an ONNX graph takes one tensor: its MLflow signature is a tensor spec, its example an array
        example = common["input_example"]
        tensor: dict[str, Any] = {"signature": None, "input_example": None}
        if example is not None:
            arr = np.asarray(example, dtype=np.float32)
            tensor = {"signature": mlflow.models.infer_signature(arr), "input_example": arr}
        mlflow.onnx.save_model(
            model,
            str(out),
            onnx_execution_providers=["CPUExecutionProvider"],
            pip_requirements=[mlflow_pin, _pin("onnx"), _pin("onnxruntime")],
            **tensor,
        )
