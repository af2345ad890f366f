"""Codecs for fitted models, one module per framework, each in the framework's own safe format (never a pickle).

============  ==============================  =====================  ===========================
framework     handles                         format                 extra (``pip install ...``)
============  ==============================  =====================  ===========================
scikit-learn  any ``BaseEstimator`` (Pipeline)  skops (trusted types)  ``lifecycle-ext[sklearn]``
PyTorch       ``torch.nn.Module``             safetensors            ``lifecycle-ext[torch]``
XGBoost       ``XGBModel`` / ``Booster``      XGBoost JSON           ``lifecycle-ext[xgboost]``
LightGBM      ``LGBMModel`` / ``Booster``     LightGBM text          ``lifecycle-ext[lightgbm]``
ONNX          ``onnx.ModelProto``             ONNX protobuf          ``lifecycle-ext[onnx]``
============  ==============================  =====================  ===========================

Every codec matches by dotted type name, so nothing here imports a framework until the user's object is one of
its types (or a stored model of that framework is loaded). Each stored model records ``framework``,
``framework_version``, ``format``, ``python`` and ``model_class`` in its summary. Model bytes are stored as
chunked arrays in the content-addressed blob store, so identical parts of two versions are stored once.
"""

from __future__ import annotations

import importlib
import platform
from types import ModuleType
from typing import Any

import numpy as np

from ...core.errors import MissingDependency
from ..codecs import Codec
from ..payload import Payload, restore_array

__all__ = [
    "model_codecs",
    "require",
    "model_record",
    "add_bytes",
    "read_bytes",
    "class_path",
    "methods_of",
    "MODEL_TYPES",
]

MODEL_TYPES = ("sklearn", "torch_module", "xgboost", "lightgbm", "onnx")
"""The ``object_type`` names of the model codecs."""


def model_codecs() -> list[Codec]:
    """The framework codecs (registered with the built-ins)."""
    from .lightgbm_text import lightgbm_codec
    from .onnx_model import onnx_codec
    from .sklearn_skops import sklearn_codec
    from .torch_safetensors import torch_codec
    from .xgboost_json import xgboost_codec

    # XGBoost and LightGBM first: their scikit-learn wrappers are scikit-learn estimators too
    return [xgboost_codec(), lightgbm_codec(), sklearn_codec(), torch_codec(), onnx_codec()]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependency` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependency(
            f"this needs {module.split('.')[0]!r}, which is not installed ({exc}); "
            f"install it with: pip install 'lifecycle-ext[{extra}]'"
        ) from None


def class_path(obj: object) -> str:
    t = type(obj)
    return f"{t.__module__}.{t.__qualname__}"


def model_record(framework: str, module: ModuleType, fmt: str, obj: object, **extra: Any) -> dict[str, Any]:
    """The summary every stored model carries: framework, its version, format, Python version, class."""
    return {
        "framework": framework,
        "framework_version": str(getattr(module, "__version__", "unknown")),
        "format": fmt,
        "python": platform.python_version(),
        "model_class": class_path(obj),
        **extra,
    }


def add_bytes(p: Payload, path: str, data: bytes | bytearray | memoryview) -> dict[str, Any]:
    """Lay raw bytes out as a chunked uint8 array of the payload."""
    return p.add_array(path, np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8))


def read_bytes(group: Any, info: dict[str, Any]) -> bytes:
    return restore_array(group, info).tobytes()


def methods_of(obj: object) -> list[str]:
    """Which prediction methods the model offers (shown, and used by the predictor)."""
    return [
        m for m in ("predict", "predict_proba", "decision_function", "transform") if callable(getattr(obj, m, None))
    ]
