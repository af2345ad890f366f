"""A model's signature (input and output columns with dtypes) and input example, and checking input against it.

Stored on the version (``VersionCreated.signature`` / ``input_example``) as JSON::

    {"format": 1, "inputs": [{"name": "age", "dtype": "float64"}, ...], "outputs": [{"name": "prediction", ...}]}
    {"columns": ["age", ...], "data": [[41.0, ...], ...]}          # at most EXAMPLE_ROWS rows

Given at save as ``signature=`` (that dict, a :class:`Signature`, or a DataFrame whose columns are the inputs) and
``input_example=`` (a DataFrame); without ``signature=`` the inputs are inferred from the example, and the
outputs from the model's prediction on it. ``%%track`` infers both from the training frame the cell read.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from ...core.errors import UsageInputError

__all__ = [
    "Signature",
    "Column",
    "infer_signature",
    "as_signature",
    "example_json",
    "example_frame",
    "check_input",
    "CastApplied",
    "signature_save_hook",
    "EXAMPLE_ROWS",
]

EXAMPLE_ROWS = 5


class CastApplied(UserWarning):
    """Input columns were cast to the signature's dtypes (compatible casts only)."""


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str


@dataclass(frozen=True)
class Signature:
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": 1,
            "inputs": [{"name": c.name, "dtype": c.dtype} for c in self.inputs],
            "outputs": [{"name": c.name, "dtype": c.dtype} for c in self.outputs],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Signature:
        try:
            return cls(
                tuple(Column(str(c["name"]), str(c["dtype"])) for c in d["inputs"]),
                tuple(Column(str(c["name"]), str(c["dtype"])) for c in d.get("outputs") or ()),
            )
        except (KeyError, TypeError) as exc:
            raise UsageInputError(
                f"signature must be {{'inputs': [{{'name', 'dtype'}}, ...], 'outputs': [...]}}: missing {exc}"
            ) from None

    @property
    def input_names(self) -> list[str]:
        return [c.name for c in self.inputs]

    def __str__(self) -> str:
        ins = ", ".join(f"{c.name}: {c.dtype}" for c in self.inputs)
        outs = ", ".join(f"{c.name}: {c.dtype}" for c in self.outputs)
        return f"({ins}) -> ({outs or '?'})"


def _columns(frame: Any) -> tuple[Column, ...]:
    import pandas as pd

    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=frame.name if frame.name is not None else "prediction")
    if not isinstance(frame, pd.DataFrame):
        import numpy as np

        arr = np.asarray(frame)
        if arr.ndim == 1:
            return (Column("prediction", str(arr.dtype)),)
        return tuple(Column(f"prediction_{i}", str(arr.dtype)) for i in range(arr.shape[1]))
    return tuple(Column(str(c), str(t)) for c, t in frame.dtypes.items())


def infer_signature(inputs: Any, outputs: Any = None) -> Signature:
    """The signature of an input DataFrame and (optionally) the model's output on it."""
    return Signature(_columns(inputs), () if outputs is None else _columns(outputs))


def as_signature(value: Any) -> Signature:
    import pandas as pd

    if isinstance(value, Signature):
        return value
    if isinstance(value, dict):
        return Signature.from_dict(value)
    if isinstance(value, pd.DataFrame):
        return infer_signature(value)
    raise UsageInputError(f"signature= takes a dict, a Signature or a DataFrame, got {type(value).__name__}")


def example_json(frame: Any) -> dict[str, Any]:
    """The first rows of an input example as JSON (``columns`` and ``data``)."""
    import json

    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise UsageInputError(f"input_example= takes a DataFrame, got {type(frame).__name__}")
    head = frame.head(EXAMPLE_ROWS)
    doc = json.loads(head.to_json(orient="split", index=False, date_format="iso"))
    return {"columns": [str(c) for c in doc["columns"]], "data": doc["data"]}


def example_frame(example: dict[str, Any], signature: Signature | None = None) -> Any:
    """The stored input example as a DataFrame (with the signature's dtypes when there is one)."""
    import pandas as pd

    df = pd.DataFrame(example["data"], columns=example["columns"])
    if signature is not None:
        for c in signature.inputs:
            if c.name in df:
                try:
                    df[c.name] = df[c.name].astype(c.dtype)
                except (TypeError, ValueError):
                    pass
    return df


def _compatible(src: Any, dst: Any) -> bool:
    import numpy as np

    if np.can_cast(src, dst, "safe"):
        return True
    return src.kind in "biu" and dst.kind == "f"  # integers and booleans into any float width


def check_input(frame: Any, signature: Signature, *, drop_extra: bool = False) -> tuple[Any, list[str]]:
    """``frame`` checked against ``signature``: the input columns in signature order with compatible casts
    applied, and one line per cast. Missing, extra (unless ``drop_extra``) or incompatible columns raise
    :class:`UsageInputError` naming every one of them."""
    import numpy as np
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise UsageInputError(f"predict takes a DataFrame with columns {signature.input_names}")
    names = signature.input_names
    have = [str(c) for c in frame.columns]
    missing = [n for n in names if n not in have]
    extra = [c for c in have if c not in names]
    problems = []
    if missing:
        problems.append(f"missing column(s) {missing}")
    if extra and not drop_extra:
        problems.append(f"extra column(s) {extra} not in the signature (select the model's columns first)")
    casts: list[str] = []
    out = {}
    for col in signature.inputs:
        if col.name not in have:
            continue
        s = frame[col.name]
        want = col.dtype
        if str(s.dtype) == want:
            out[col.name] = s
            continue
        try:
            dst = np.dtype(want)
            src = np.dtype(s.dtype)
        except TypeError:  # pandas extension dtypes (category, string): by name only
            if pd.api.types.is_string_dtype(s.dtype) and want in ("object", "str", "string"):
                out[col.name] = s
                continue
            problems.append(f"column {col.name!r} has dtype {s.dtype}, the signature says {want}")
            continue
        if dst == np.dtype(object) and src.kind in "OUS":
            out[col.name] = s
        elif _compatible(src, dst):
            out[col.name] = s.astype(dst)
            casts.append(f"{col.name}: {src} -> {dst}")
        else:
            problems.append(f"column {col.name!r} has dtype {src}, the signature says {dst} (no safe cast)")
    if problems:
        raise UsageInputError("input does not match the model's signature: " + "; ".join(problems))
    if casts:
        warnings.warn("cast to the signature's dtypes: " + ", ".join(casts), CastApplied, stacklevel=3)
    return pd.DataFrame(out, index=frame.index)[names], casts


def _outputs(model: Any, example: Any) -> tuple[Column, ...]:
    predict = getattr(model, "predict", None)
    if not callable(predict):
        return ()
    try:
        return _columns(predict(example))
    except Exception:  # noqa: BLE001 - best effort: a model that cannot predict on the example has no outputs
        return ()


def signature_save_hook(
    svc: Any, kind: str, obj: Any, parent: dict[str, Any] | None, options: dict[str, Any], payload: Any = None
) -> dict[str, Any]:
    """``reg.save(..., signature=, input_example=)``: record both on the version."""
    sig_opt, ex_opt = options.get("signature"), options.get("input_example")
    if sig_opt is None and ex_opt is None:
        return {}
    extra: dict[str, Any] = {}
    sig = as_signature(sig_opt) if sig_opt is not None else None
    if ex_opt is not None:
        extra["input_example"] = example_json(ex_opt)
        if sig is None:
            sig = Signature(_columns(ex_opt), _outputs(obj, ex_opt.head(EXAMPLE_ROWS)))
        elif not sig.outputs:
            sig = Signature(sig.inputs, _outputs(obj, ex_opt.head(EXAMPLE_ROWS)))
        missing = [c for c in sig.input_names if c not in [str(x) for x in ex_opt.columns]]
        if missing:
            raise UsageInputError(f"input_example lacks the signature's input column(s) {missing}")
    assert sig is not None
    extra["signature"] = sig.to_dict()
    return extra
