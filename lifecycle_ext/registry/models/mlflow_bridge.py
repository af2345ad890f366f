"""The MLflow bridge: ``reg.import_mlflow(MODEL_URI)`` registers an MLflow model as a version here, and
``reg.export(ref, "mlflow", DIR)`` writes a version as an MLflow model directory
(:mod:`lifecycle_ext.registry.exports.mlflow`).

Import reads the model in its flavor's own format, never a pickle: scikit-learn and LightGBM wrappers saved as
skops (types checked exactly as for a stored model: the frameworks' own classes plus those allowed), LightGBM
boosters as text, XGBoost as JSON/UBJSON, ONNX. A pickled MLflow model is refused, naming its format. The run's
params, metrics and tags and the run id are recorded as provenance (``params``, ``metrics``, and
``metadata["mlflow"]``); the MLflow signature and input example become the version's. The tracking URI comes from
the usual MLflow settings (``MLFLOW_TRACKING_URI``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ...core.errors import UntrustedType, UsageInputError
from ...storage.models import require
from ..context import Service
from ..views.records import Version

__all__ = ["MlflowService"]

EXTRA = "mlflow"
_FLAVORS = ("sklearn", "xgboost", "lightgbm", "onnx")


def _refuse_pickle(flavor: str, fmt: str) -> UntrustedType:
    return UntrustedType(
        f"the MLflow {flavor} model is stored as {fmt}, which runs code when loaded; nothing was loaded. "
        f"Log it with serialization_format='skops' (or the framework's own format) and import that",
        [fmt],
    )


def _load_native(path: Path, flavors: dict[str, Any]) -> tuple[Any, str]:
    from ...storage.models.sklearn_skops import load_trusted

    flavor = next((f for f in _FLAVORS if f in flavors), None)
    if flavor is None:
        raise UsageInputError(
            f"the MLflow model has flavors {sorted(flavors)}; importable: {', '.join(_FLAVORS)} "
            "(PyTorch and generic python_function models are pickled)"
        )
    conf = flavors[flavor]
    if flavor in ("sklearn", "lightgbm") and conf.get("serialization_format", "pickle") != "skops":
        data_name = conf.get("pickled_model") or conf.get("data", "")
        if flavor == "sklearn" or not str(data_name).endswith(".lgb"):
            raise _refuse_pickle(flavor, str(conf.get("serialization_format", "pickle")))
    if flavor == "sklearn":
        data = (path / (conf.get("pickled_model") or "model.skops")).read_bytes()
        return load_trusted(data, "the MLflow scikit-learn model"), flavor
    if flavor == "lightgbm":
        lgb = require("lightgbm", "lightgbm")
        data_path = path / conf["data"]
        if data_path.suffix == ".lgb":
            return lgb.Booster(model_file=str(data_path)), flavor
        return load_trusted(data_path.read_bytes(), "the MLflow LightGBM model", also=("lightgbm",)), flavor
    if flavor == "xgboost":
        xgb = require("xgboost", "xgboost")
        cls = getattr(xgb, str(conf.get("model_class", "xgboost.core.Booster")).rsplit(".", 1)[-1], None)
        if not (isinstance(cls, type) and issubclass(cls, (xgb.Booster, xgb.XGBModel))):
            raise UsageInputError(f"MLflow XGBoost model class {conf.get('model_class')!r} is not an xgboost model")
        model = cls()
        model.load_model(str(path / conf["data"]))
        return model, flavor
    onnx = require("onnx", "onnx")
    return onnx.load(str(path / conf["data"])), flavor


_NUMPY = {"double": "float64", "float": "float32", "long": "int64", "integer": "int32", "boolean": "bool"}


def _signature(sig: Any) -> dict[str, Any] | None:
    """An MLflow column signature as ours (tensor signatures are left out: they have no columns)."""
    if sig is None or sig.inputs is None or not sig.inputs.has_input_names() or sig.inputs.is_tensor_spec():
        return None

    def cols(schema: Any) -> list[dict[str, str]]:
        if schema is None or schema.is_tensor_spec() or not schema.has_input_names():
            return []
        out = []
        for spec in schema.inputs:
            name = getattr(spec.type, "name", str(spec.type))
            out.append({"name": str(spec.name), "dtype": _NUMPY.get(name, "object")})
        return out

    return {"format": 1, "inputs": cols(sig.inputs), "outputs": cols(sig.outputs)}


def _default_name(uri: str, path: Path) -> str:
    m = re.match(r"models:/([^/@]+)", uri)
    raw = m.group(1) if m else path.name
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", raw).strip("-.") or "imported"


class MlflowService(Service):
    def import_mlflow(self, model_uri: str, *, name: str | None = None, note: str = "") -> Version:
        """Register the MLflow model at ``model_uri`` (``runs:/RUN/PATH``, ``models:/NAME/3`` or a local model
        directory) as a new version of ``model:NAME``, with its run's params, metrics, tags and run id."""
        require("mlflow", EXTRA)
        import mlflow
        from mlflow.models import Model

        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri))
        except Exception as exc:  # noqa: BLE001 - MLflow raises many types for a bad URI; one clear error here
            raise UsageInputError(f"cannot read MLflow model {model_uri!r}: {exc}") from None
        if not (local / "MLmodel").is_file():
            raise UsageInputError(f"{model_uri!r} is not an MLflow model (no MLmodel file)")
        meta = Model.load(str(local))
        model, flavor = _load_native(local, meta.flavors)
        params: dict[str, Any] = {}
        metrics: dict[str, Any] = {}
        info: dict[str, Any] = {
            "model_uri": model_uri,
            "flavor": flavor,
            "run_id": meta.run_id,
            "tracking_uri": mlflow.get_tracking_uri(),
        }
        if meta.run_id:
            run = mlflow.MlflowClient().get_run(meta.run_id)
            params = dict(run.data.params)
            metrics = dict(run.data.metrics)
            info.update(
                experiment_id=run.info.experiment_id,
                run_name=run.info.run_name,
                tags={k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.log-model")},
            )
        options: dict[str, Any] = {}
        sig = _signature(meta.signature)
        if sig is not None:
            options["signature"] = sig
            try:
                example = meta.load_input_example(str(local))
            except Exception:  # noqa: BLE001 - an example MLflow cannot read is left out
                example = None
            if example is not None and hasattr(example, "columns"):
                options["input_example"] = example
        return self.svc.versions.save(
            model,
            f"model:{name or _default_name(model_uri, local)}",
            params=params,
            metrics=metrics,
            metadata={"mlflow": info},
            note=note or f"imported from MLflow {model_uri}",
            **options,
        )
