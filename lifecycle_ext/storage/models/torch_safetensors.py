"""PyTorch ``nn.Module``: the state dict as a safetensors file, one chunked array per tensor, plus how to rebuild.

The safetensors file is split at tensor boundaries (its header, then each tensor's bytes as its own array), so a
fine-tune that changes one layer stores that layer's chunks only; the rest deduplicate against the parent. The
module's class (``module.qualname``) and constructor arguments are recorded: arguments are read from attributes
of the same name as ``__init__``'s parameters (``self.hidden = hidden``), JSON values only.

``reg.load`` rebuilds the module when its class is a ``torch.nn.Module`` whose module is already imported in this
process (or trusted: ``reg.load(ref, trusted=["mypkg.nets.MLP"])``); nothing is imported because a stored record
names it. Otherwise it returns the state dict (name -> tensor) with a warning saying why.
"""

from __future__ import annotations

import inspect
import json
import struct
import sys
import warnings
from pathlib import Path
from typing import Any

from ..codecs import Codec
from ..payload import Payload
from . import add_bytes, model_record, read_bytes, require
from .trust import allowed_types

__all__ = ["torch_codec", "safetensors_bytes", "module_class"]

EXTRA = "torch"


def torch_codec() -> Codec:
    return Codec("torch_module", "torch.nn.Module (safetensors)", _encode, _decode, types=("torch.nn.Module",))


def safetensors_bytes(module: Any) -> bytes:
    """The module's state dict as one safetensors file (tensors on the CPU)."""
    st = require("safetensors.torch", EXTRA)
    sd = {k: v.detach().to("cpu").contiguous() for k, v in module.state_dict().items()}
    try:
        data: bytes = st.save(sd)
    except RuntimeError:  # tied weights share memory, which safetensors refuses: store each copy
        data = st.save({k: v.clone() for k, v in sd.items()})
    return data


def _init_args(module: Any) -> tuple[dict[str, Any] | None, str]:
    try:
        params = list(inspect.signature(type(module).__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None, "its constructor signature cannot be read"
    args: dict[str, Any] = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if hasattr(module, p.name):
            value = getattr(module, p.name)
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError):
                return None, f"constructor argument {p.name!r} is not a JSON value"
            args[p.name] = value
        elif p.default is inspect.Parameter.empty:
            return None, f"constructor argument {p.name!r} is not kept as self.{p.name}"
    return args, ""


def _encode(module: Any) -> Payload:
    torch = require("torch", EXTRA)
    data = safetensors_bytes(module)
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    start = 8 + n
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1], k) for k, v in header.items() if k != "__metadata__")
    p = Payload("torch_module")
    tensors = []
    pos = 0
    for i, (b, e, name) in enumerate(spans):
        if b != pos:
            raise ValueError(f"unexpected gap in the safetensors layout before tensor {name!r}")
        tensors.append([name, add_bytes(p, f"t{i}", memoryview(data)[start + b : start + e])])
        pos = e
    if start + pos != len(data):
        raise ValueError("unexpected trailing bytes in the safetensors layout")
    args, why = _init_args(module)
    p.attrs.update(header=add_bytes(p, "header", data[:start]), tensors=tensors)
    p.summary = model_record(
        "pytorch",
        torch,
        "safetensors",
        module,
        format_version=str(getattr(require("safetensors", EXTRA), "__version__", "")),
        init_args=args,
        tensors=len(spans),
        parameters=int(sum(t.numel() for t in module.parameters())),
        size=len(data),
        training=bool(module.training),
        methods=["predict"],
    )
    if why:
        p.summary["rebuild"] = f"not rebuildable from the record: {why}"
    p.attrs["record"] = p.summary
    p.finish()
    return p


def module_class(path: str) -> tuple[type | None, str]:
    """The nn.Module class at ``path`` if its module is already imported (or the name is trusted)."""
    torch = require("torch", EXTRA)
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        modname = ".".join(parts[:i])
        mod: Any = sys.modules.get(modname)
        if mod is None and path in allowed_types():
            try:
                mod = __import__(modname, fromlist=["_"])
            except ImportError:
                mod = None
        if mod is None:
            continue
        obj: Any = mod
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
        if isinstance(obj, type) and issubclass(obj, torch.nn.Module):
            return obj, ""
        return None, f"{path} is not a torch.nn.Module class"
    return None, f"the module of {path} is not imported here (import it first, or pass trusted=[{path!r}])"


def _decode(group: Any, attrs: dict[str, Any], dest: Path | None) -> Any:
    st = require("safetensors.torch", EXTRA)
    data = read_bytes(group, attrs["header"]) + b"".join(read_bytes(group, info) for _, info in attrs["tensors"])
    state = st.load(data)
    rec = attrs["record"]
    cls, why = module_class(rec["model_class"])
    if rec.get("init_args") is None:
        why = rec.get("rebuild", "its constructor arguments were not recorded")
    if cls is None or why:
        warnings.warn(f"returning the state dict of {rec['model_class']}: {why}", UserWarning, stacklevel=4)
        return state
    module = cls(**rec["init_args"])
    module.load_state_dict(state, strict=True)
    module.train(bool(rec.get("training", False)))
    return module
