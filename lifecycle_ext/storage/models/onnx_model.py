"""ONNX models (``onnx.ModelProto``) as their protobuf bytes; predictions run through onnxruntime."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..codecs import Codec
from ..payload import Payload
from . import add_bytes, model_record, read_bytes, require

__all__ = ["onnx_codec", "onnx_session"]

EXTRA = "onnx"


def onnx_codec() -> Codec:
    return Codec("onnx", "onnx.ModelProto", _encode, _decode, types=("onnx.ModelProto",))


def _encode(model: Any) -> Payload:
    onnx = require("onnx", EXTRA)
    onnx.checker.check_model(model)
    data = model.SerializeToString()
    p = Payload("onnx")
    p.attrs["model"] = add_bytes(p, "model", data)
    p.summary = model_record(
        "onnx",
        onnx,
        "onnx",
        model,
        opsets={o.domain or "ai.onnx": int(o.version) for o in model.opset_import},
        inputs=[i.name for i in model.graph.input],
        outputs=[o.name for o in model.graph.output],
        size=len(data),
        methods=["predict"],
    )
    p.attrs["record"] = p.summary
    p.finish()
    return p


def _decode(group: Any, attrs: dict[str, Any], dest: Path | None) -> Any:
    onnx = require("onnx", EXTRA)
    return onnx.load_model_from_string(read_bytes(group, attrs["model"]))


def onnx_session(model: Any) -> Any:
    """An onnxruntime session for a loaded model (CPU)."""
    ort = require("onnxruntime", EXTRA)
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
