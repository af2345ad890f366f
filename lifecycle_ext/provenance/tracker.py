"""One tracked cell run: capture before, capture after, save the outputs with their creation records.

The magic calls ``start`` before executing the cell, ``finish`` after, then ``save``. Nothing here imports
IPython; the cell is executed by the caller (the magic uses the shell, reproduce uses ``exec``).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..core.errors import InvalidRef, LifecycleError, UsageInputError
from ..core.refs import parse_ref
from .capture import Reads, classify_reads
from .records import estimators_in, kind_record, parse_kind_meta
from .seeding import rng_fingerprints, seed_all
from .source import SourceInfo, analyse, source_hash

__all__ = ["TrackSpec", "TrackedRun", "parse_outputs", "RECORD_FORMAT"]

RECORD_FORMAT = 1


def parse_outputs(items: list[str]) -> dict[str, str]:
    """``VAR=KIND:NAME`` items -> {var: "KIND:NAME"}; clear errors for anything else."""
    out: dict[str, str] = {}
    for item in items:
        var, sep, ref = item.partition("=")
        var, ref = var.strip(), ref.strip()
        if not sep or not var.isidentifier():
            raise UsageInputError(f"--output expects VAR=KIND:NAME (e.g. model=model:churn), got {item!r}")
        try:
            r = parse_ref(ref)
        except InvalidRef as exc:
            raise UsageInputError(f"--output {item!r}: {exc}") from None
        if r.version is not None:
            raise UsageInputError(
                f"--output {item!r}: name an asset (KIND:NAME), not a version; tracking always creates a new version"
            )
        if var in out:
            raise UsageInputError(f"--output names variable {var!r} twice")
        out[var] = r.asset
    return out


@dataclass
class TrackSpec:
    outputs: dict[str, str] = field(default_factory=dict)
    params: str | None = None
    metrics: str | None = None
    seed: int | None = None
    tags: list[str] = field(default_factory=list)
    note: str = ""
    kind_meta: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)  # reg.save(metadata=) of every output
    dataset: dict[str, Any] = field(default_factory=dict)  # key/label/schema/source of dataset outputs

    @classmethod
    def from_args(
        cls,
        output: list[str],
        params: str | None,
        metrics: str | None,
        seed: int | None,
        tag: list[str],
        note: str,
        kind_meta: list[str],
        dry_run: bool,
        metadata: list[str] | None = None,
        source: str | None = None,
        key: str | None = None,
        label: list[str] | None = None,
        schema: str | None = None,
    ) -> TrackSpec:
        for what, var in (("--params", params), ("--metrics", metrics)):
            if var is not None and not var.isidentifier():
                raise UsageInputError(f"{what} expects a variable name, got {var!r}")
        if seed is not None and not 0 <= seed < 2**32:
            raise UsageInputError(f"--seed must be in [0, 2**32), got {seed}")
        dataset: dict[str, Any] = {"key": key, "schema": schema, "source": source}
        if label:
            dataset["label"] = label[0] if len(label) == 1 else list(label)
        return cls(
            parse_outputs(output or []),
            params,
            metrics,
            seed,
            list(tag or []),
            note or "",
            parse_kind_meta(kind_meta or []),
            dry_run,
            parse_kind_meta(metadata or [], "--metadata"),
            {k: v for k, v in dataset.items() if v is not None},
        )


class TrackedRun:
    def __init__(
        self,
        source: str,
        spec: TrackSpec,
        *,
        execution_count: int | None = None,
        notebook: str | None = None,
        python_source: str | None = None,
    ) -> None:
        self.source, self.spec = source, spec
        self.python_source = python_source if python_source is not None else source
        self.execution_count, self.notebook = execution_count, notebook
        self._run_id: str | None = None
        self.info = SourceInfo()
        self.reads = Reads()
        self.rng: dict[str, str] = {}
        self.seeded: list[str] = []
        self.started_at = ""
        self.duration = 0.0
        self.error: str | None = None
        self.loaded: list[str] = []
        self._loads: Any = None
        self._t0 = 0.0

    # -- capture -------------------------------------------------------------------------------------
    def start(self, ns: dict[str, Any], lookup: Any, tree: Any = None, derived: Any = None, loads: Any = None) -> None:
        """Analyse the source (or its already parsed ``tree``), classify what it reads, then seed (or
        fingerprint the RNGs). ``derived(obj) -> refs`` gives notebook-derived lineage; ``loads() -> refs``,
        called when the cell finished, the versions the cell loaded itself."""
        self.info = analyse(self.python_source, tree)
        self.reads = classify_reads(self.info.reads, ns, lookup, derived)
        self._loads = loads
        if self.spec.seed is not None:
            self.seeded = seed_all(self.spec.seed)
        else:
            self.rng = rng_fingerprints()
        self.started_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        self._t0 = time.perf_counter()

    def finish(self, error: BaseException | None) -> None:
        self.duration = time.perf_counter() - self._t0
        if self._loads is not None:
            self.loaded = list(self._loads())
        if error is not None:
            self.error = f"{type(error).__name__}: {error}"[:2000]

    @property
    def run_id(self) -> str:
        """Links the versions one run saved; made on first use (os.urandom is slow on some hosts)."""
        if self._run_id is None:
            self._run_id = uuid.uuid4().hex[:16]
        return self._run_id

    @property
    def inputs(self) -> list[str]:
        """Every version the cell's outputs come from: read directly, derived from in earlier cells, or
        loaded by the cell itself."""
        refs = list(self.reads.inputs.values())
        for rs in self.reads.derived.values():
            refs += rs
        return list(dict.fromkeys(refs + self.loaded))

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def seeds(self) -> dict[str, Any]:
        return {
            "given": self.spec.seed,
            "seeded": self.seeded,
            "literals": self.info.seed_literals,
            "rng_fingerprints": self.rng,
        }

    def base_record(self) -> dict[str, Any]:
        return {
            "format": RECORD_FORMAT,
            "tracked": True,
            "run_id": self.run_id,
            "source": self.source,
            "source_hash": source_hash(self.source),
            "python_source": self.python_source if self.python_source != self.source else None,
            "execution_count": self.execution_count,
            "notebook": self.notebook,
            "started_at": self.started_at,
            "duration_s": round(self.duration, 6),
            "status": "ok" if self.ok else "failed",
            "error": self.error,
            "seed": self.seeds,
            "configs": self.reads.configs,
            "modules": self.reads.modules,
            "inputs_by_var": self.reads.inputs,
            "derived_inputs": self.reads.derived,
            "loaded": self.loaded,
            "uncaptured": self.reads.uncaptured,
            "outputs": dict(self.spec.outputs),
            "syntax_note": self.info.syntax_error,
        }

    # -- saving --------------------------------------------------------------------------------------
    def _dict_var(self, ns: dict[str, Any], var: str | None, what: str) -> dict[str, Any]:
        if var is None:
            return {}
        if var not in ns:
            raise UsageInputError(f"{what} variable {var!r} is not defined after the cell ran")
        v = ns[var]
        if not isinstance(v, dict):
            raise UsageInputError(f"{what} variable {var!r} must be a dict, got {type(v).__name__}")
        return v

    def plan(self, ns: dict[str, Any]) -> tuple[list[tuple[str, str, Any]], dict[str, Any], dict[str, Any]]:
        """Check the outputs before anything is saved: every variable exists and has a storable type."""
        from ..storage.codecs import encode

        params = self._dict_var(ns, self.spec.params, "--params")
        metrics = self._dict_var(ns, self.spec.metrics, "--metrics")
        todo = []
        for var, asset in self.spec.outputs.items():
            if var not in ns:
                raise UsageInputError(f"output variable {var!r} is not defined after the cell ran; nothing saved")
            todo.append((var, asset, ns[var]))
        if len(todo) > 1:  # all-or-nothing for the type check (a single output is checked by save itself)
            for var, _asset, obj in todo:
                try:
                    encode(obj)
                except LifecycleError as exc:
                    raise type(exc)(f"output {var!r}: {exc}") from None
        return todo, params, metrics

    def save(
        self, reg: Any, ns: dict[str, Any], *, env_blob: str | None, env_summary: dict[str, Any], remember: Any
    ) -> list[dict[str, Any]]:
        """Save every output as a new version; return [{var, ref, content_hash}]."""
        todo, params, metrics = self.plan(ns)
        base = self.base_record()
        base["environment"] = env_blob
        base["environment_summary"] = env_summary
        inputs = self.inputs
        estimators = estimators_in(ns, self.info.binds + self.info.reads)
        created: list[dict[str, Any]] = []
        for var, asset, obj in todo:
            try:
                created.append(
                    self._save_one(
                        reg, var, asset, obj, base, params, metrics, inputs, estimators, env_blob, remember, ns=ns
                    )
                )
            except LifecycleError as exc:
                done = ", ".join(c["ref"] for c in created)
                raise type(exc)(
                    f"output {var!r} ({asset}) was not saved: {exc}" + (f" (already saved: {done})" if done else "")
                ) from None
        return created

    def _signature_options(self, obj: Any, ns: dict[str, Any]) -> dict[str, Any]:
        """The input example of a model: the model's feature columns of the training frame the cell read."""
        names = _feature_names(obj)
        if not names:
            return {}
        pd = sys.modules.get("pandas")
        for var in self.reads.inputs:
            frame = ns.get(var)
            if pd is not None and isinstance(frame, pd.DataFrame) and all(n in frame.columns for n in names):
                return {"input_example": frame[names]}
        return {}

    def _save_one(
        self,
        reg: Any,
        var: str,
        asset: str,
        obj: Any,
        base: dict[str, Any],
        params: dict[str, Any],
        metrics: dict[str, Any],
        inputs: list[str],
        estimators: list[dict[str, Any]],
        env_blob: str | None,
        remember: Any,
        *,
        ns: dict[str, Any],
    ) -> dict[str, Any]:
        from ..storage.codecs import codec_for

        kind = parse_ref(asset).kind
        otype = codec_for(obj).object_type if kind == "model" else None  # the codec, without encoding twice
        meta = dict(self.spec.kind_meta)
        options = dict(self.spec.dataset) if kind == "dataset" else {}
        metadata = dict(self.spec.metadata)
        if kind == "dataset":
            if isinstance(options.get("label"), str):
                meta.setdefault("label", options["label"])  # class distribution in the creation record
            if "source" in options:
                meta.setdefault("source", options["source"])
        elif "source" in self.spec.dataset:
            metadata.setdefault("source", self.spec.dataset["source"])
        seed = self.spec.seed if self.spec.seed is not None else ([s["value"] for s in self.info.seed_literals] or None)
        rec = {
            **base,
            "output_var": var,
            "kind_record": kind_record(
                kind,
                obj,
                meta,
                seed=seed,
                params=params,
                metrics=metrics,
                estimators=estimators,
                object_type=otype,
            ),
        }
        rec = json.loads(json.dumps(rec, default=str))
        v = reg.save(
            obj,
            asset,
            params=params,
            metrics=metrics,
            metadata=metadata,
            inputs=inputs,
            tags=self.spec.tags,
            note=self.spec.note,
            record=rec,
            blobs=[env_blob] if env_blob else [],
            **options,
            **(self._signature_options(obj, ns) if kind == "model" else {}),
        )
        remember(obj, v.ref)
        out = {"var": var, "ref": v.ref, "content_hash": v.content_hash}
        if getattr(v, "rerun", False):
            out["rerun"] = True
        return out


def _feature_names(model: Any) -> list[str]:
    """The input column names a fitted model knows (scikit-learn, XGBoost, LightGBM), else []."""
    names = getattr(model, "feature_names_in_", None)
    if names is None and callable(getattr(model, "get_booster", None)):
        names = model.get_booster().feature_names
    if names is None:
        names = getattr(model, "feature_name_", None) if hasattr(model, "booster_") else None
    return [str(n) for n in names] if names is not None else []
