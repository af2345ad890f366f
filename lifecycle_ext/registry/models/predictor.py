"""``reg.predictor(ref)``: a stored model ready to predict, checking its input against the signature first.

``Predictor.predict(df)`` / ``.predict_proba(df)`` (when the model has it) check ``df`` against the version's
signature (missing, extra or incompatible columns raise :class:`UsageInputError` naming them; compatible casts,
e.g. int -> float, are applied and reported with a :class:`~.signature.CastApplied` warning), then call the
framework: scikit-learn, XGBoost and LightGBM models directly, a ``torch.nn.Module`` on a float32 tensor (its
output as an array), an ONNX model through onnxruntime. ``lifecycle predict REF --input F --output F`` scores a
parquet or CSV file in batches, with a progress bar on large inputs.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from ...core import progress
from ...core.errors import UsageInputError
from ...core.refs import exact_ref
from ..context import Service
from .signature import CastApplied, Signature, check_input

__all__ = ["Predictor", "PredictService", "PredictReport", "BATCH_ROWS"]

BATCH_ROWS = 200_000


class Predictor:
    """A loaded model of one exact version with its signature."""

    def __init__(self, ref: str, model: Any, object_type: str, signature: Signature | None) -> None:
        self.ref, self.model, self.object_type, self.signature = ref, model, object_type, signature
        self._session: Any = None

    def __repr__(self) -> str:
        return f"<Predictor {self.ref} {self.object_type} {self.signature or '(no signature)'}>"

    @property
    def has_proba(self) -> bool:
        if self.object_type == "onnx":
            return len(self._onnx().get_outputs()) > 1
        return callable(getattr(self.model, "predict_proba", None))

    def prepare(self, frame: Any, *, drop_extra: bool = False) -> tuple[Any, list[str]]:
        """The input checked against the signature (and cast), with the casts applied."""
        if self.signature is None:
            return frame, []
        return check_input(frame, self.signature, drop_extra=drop_extra)

    def predict(self, frame: Any, *, drop_extra: bool = False) -> Any:
        X, _ = self.prepare(frame, drop_extra=drop_extra)
        return self._call(X, proba=False)

    def predict_proba(self, frame: Any, *, drop_extra: bool = False) -> Any:
        if not self.has_proba:
            raise UsageInputError(f"{self.ref} ({self.object_type}) has no predict_proba")
        X, _ = self.prepare(frame, drop_extra=drop_extra)
        return self._call(X, proba=True)

    # -- frameworks --------------------------------------------------------------------------------------------
    def _onnx(self) -> Any:
        if self._session is None:
            from ...storage.models.onnx_model import onnx_session

            self._session = onnx_session(self.model)
        return self._session

    def _call(self, X: Any, *, proba: bool) -> Any:
        import numpy as np

        t = self.object_type
        if t == "onnx":
            sess = self._onnx()
            inp = sess.get_inputs()[0]
            dtype = np.float64 if "double" in inp.type else np.int64 if "int64" in inp.type else np.float32
            outs = sess.run(None, {inp.name: np.asarray(X, dtype=dtype)})
            return outs[1 if proba else 0]
        if t == "torch_module":
            import torch

            with torch.no_grad():
                out = self.model(torch.from_numpy(np.array(X, dtype=np.float32))).numpy()
            return out[:, 0] if out.ndim == 2 and out.shape[1] == 1 else out
        model = self.model
        if t == "xgboost" and not hasattr(model, "get_booster"):  # a bare Booster
            import xgboost as xgb

            return model.predict(xgb.DMatrix(X))
        fn = model.predict_proba if proba else model.predict
        return fn(X)


class PredictReport:
    """What ``lifecycle predict`` wrote."""

    def __init__(self, ref: str, output: str, rows: int, columns: list[str], casts: list[str]) -> None:
        self.ref, self.output, self.rows, self.columns, self.casts = ref, output, rows, columns, casts

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "output": self.output, "rows": self.rows, "columns": self.columns, "casts": self.casts}

    def __str__(self) -> str:
        cast = f"; cast: {', '.join(self.casts)}" if self.casts else ""
        return f"{self.rows} predictions of {self.ref} written to {self.output} (columns {self.columns}){cast}"


def _read(path: Path) -> Any:
    import pandas as pd

    if not path.is_file():
        raise UsageInputError(f"input file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path)
    raise UsageInputError(f"input file {path}: use .parquet or .csv")


class PredictService(Service):
    def predictor(self, ref: str, *, trusted: tuple[str, ...] | list[str] = ()) -> Predictor:
        """The stored model of ``ref`` loaded as itself, with its signature (if one was recorded)."""
        from ...storage.models import MODEL_TYPES

        rec = self.ctx.resolve(ref)
        if rec["object_type"] not in MODEL_TYPES:
            raise UsageInputError(
                f"{exact_ref(rec)} holds a {rec['object_type']}, not a model in a framework format "
                f"({', '.join(MODEL_TYPES)}); save the fitted model object itself"
            )
        model = self.svc.versions.load(exact_ref(rec), trusted=trusted)
        sig = rec.get("signature")
        return Predictor(exact_ref(rec), model, rec["object_type"], Signature.from_dict(sig) if sig else None)

    def predict(
        self,
        ref: str,
        input: str | os.PathLike[str],
        output: str | os.PathLike[str],
        *,
        proba: bool = False,
        drop_extra: bool = False,
    ) -> PredictReport:
        """Score a parquet or CSV file with the stored model; write the predictions (parquet or CSV by suffix)."""
        import numpy as np
        import pandas as pd

        out_path = Path(output)
        if out_path.suffix.lower() not in (".parquet", ".pq", ".csv"):
            raise UsageInputError(f"output file {out_path}: use .parquet or .csv")
        frame = _read(Path(input))
        p = self.predictor(ref)
        X, casts = _quiet(lambda: p.prepare(frame, drop_extra=drop_extra))
        n = len(X)
        parts: list[Any] = []
        bar = progress.task(f"predict {p.ref}", n) if n >= BATCH_ROWS and progress.active() else None
        if bar is None:
            parts.append(p._call(X, proba=proba))
        else:
            with bar:
                for start in range(0, n, BATCH_ROWS):
                    parts.append(p._call(X.iloc[start : start + BATCH_ROWS], proba=proba))
                    bar.advance(min(BATCH_ROWS, n - start))
        pred: Any = np.concatenate(parts) if parts else np.empty(0)
        if pred.ndim == 2:
            names = [f"proba_{i}" if proba else f"prediction_{i}" for i in range(pred.shape[1])]
            result = pd.DataFrame(pred, columns=names, index=frame.index)
        else:
            result = pd.DataFrame({"prediction": pred}, index=frame.index)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        if out_path.suffix.lower() == ".csv":
            result.to_csv(out_path, index=False)
        else:
            result.to_parquet(out_path, index=False)
        return PredictReport(p.ref, str(out_path), n, list(result.columns), casts)


def _quiet(fn: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CastApplied)  # the report says which casts were applied
        return fn()
