"""Records out: standard exports of a version (PROV, OpenLineage, model cards, EU AI Act Annex IV, CycloneDX ML-BOM,
plain zarr), one module per format.

:data:`FORMATS` is the one table of formats: name -> :class:`ExportFormat`, whose ``target`` names the export
function as ``"module:function"``; the module is imported only when that format is asked for. An export function
is ``fn(job: ExportJob) -> ExportResult`` (or ``fn(services, ref, output)``; a function may also return a path, a list of paths or a JSON-able
document; :func:`run_format` turns that into an :class:`ExportResult`).

Adding a format: one module here with its function, one :class:`ExportFormat` line in :data:`FORMATS`, a test
that validates the output with the standard's own tool. ``mlflow`` is listed here and implemented in
:mod:`.mlflow` (an MLflow model directory, issue 15); when that module is absent, asking for the format says so.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ...core.errors import UsageInputError

if TYPE_CHECKING:
    from .facts import ExportFacts

__all__ = [
    "ExportFormat",
    "ExportJob",
    "ExportResult",
    "FORMATS",
    "format_names",
    "load_format",
    "run_format",
    "write_text",
]


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its name, the ``"module:function"`` that makes it, and what it writes."""

    name: str
    target: str
    help: str
    output: str = "file"  # "file" (one document), "dir" (several files), "required-dir" (needs --output)
    suffix: str = ".json"


@dataclass(frozen=True)
class ExportJob:
    """What an export function gets: the registry's services, the version's facts and where to write."""

    services: Any  # the registry's Services bundle (``job.services.versions.load(ref)`` ...)
    facts: ExportFacts
    output: Path | None
    format: ExportFormat

    @property
    def record(self) -> Any:
        return self.facts.record


@dataclass(frozen=True)
class ExportResult:
    """What an export produced: the files written (``paths``) and, when nothing was written, the document."""

    format: str
    ref: str
    paths: tuple[str, ...] = ()
    document: Any = None
    summary: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": self.format, "ref": self.ref, "paths": list(self.paths)}
        if self.summary:
            out["summary"] = self.summary
        if self.document is not None:
            out["document"] = self.document
        return out

    def __fspath__(self) -> str:
        """The one path written (``Path(reg.export(ref, format="zarr", output=p))``); several paths: TypeError."""
        if len(self.paths) != 1:
            raise TypeError(f"the {self.format} export wrote {len(self.paths)} paths; use .paths")
        return self.paths[0]

    def __str__(self) -> str:
        if self.paths:
            return f"{self.format} export of {self.ref}: " + ", ".join(self.paths)
        import json

        doc = self.document
        return doc if isinstance(doc, str) else json.dumps(doc, indent=2, ensure_ascii=False, default=str)


_PKG = __name__

FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("prov", f"{_PKG}.prov:export_prov", "W3C PROV-JSON: versions, runs, promotions, people"),
        ExportFormat("openlineage", f"{_PKG}.openlineage:export_openlineage", "OpenLineage run events (JSON list)"),
        ExportFormat(
            "model-card",
            f"{_PKG}.model_card:export_model_card",
            "Hugging Face model card (README.md) and Model Card Toolkit JSON",
            output="dir",
        ),
        ExportFormat(
            "annex-iv",
            f"{_PKG}.annex_iv:export_annex_iv",
            "EU AI Act Annex IV technical-documentation outline (Markdown and JSON)",
            output="dir",
        ),
        ExportFormat("cyclonedx", f"{_PKG}.cyclonedx:export_cyclonedx", "CycloneDX 1.6 ML-BOM (JSON)"),
        ExportFormat(
            "zarr",
            f"{_PKG}.plain_zarr:export_zarr",
            "plain zarr v3 folder (or .zip) readable without lifecycle_ext",
            output="required-dir",
            suffix="",
        ),
        ExportFormat(
            "mlflow",
            f"{_PKG}.mlflow:export_mlflow",
            "MLflow model directory (MLmodel, model file, requirements)",
            output="required-dir",
            suffix="",
        ),
    )
}


def format_names() -> tuple[str, ...]:
    return tuple(FORMATS)


def load_format(name: str) -> Callable[..., Any]:
    """The export function of format ``name``, imported now; a clear error for an unknown or absent format."""
    fmt = FORMATS.get(name)
    if fmt is None:
        raise UsageInputError(f"unknown export format {name!r}; formats: {', '.join(FORMATS)}")
    module_name, _, func = fmt.target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise UsageInputError(
                f"export format {name!r} is listed but its module {module_name} is not installed in this copy "
                "of lifecycle_ext"
            ) from None
        raise UsageInputError(
            f"export format {name!r} needs the package {exc.name!r}: pip install 'lifecycle-ext[export]'"
        ) from None
    fn = getattr(module, func, None)
    if not callable(fn):
        raise UsageInputError(f"export format {name!r}: {module_name} has no function {func}")
    return cast(Callable[..., Any], fn)


def run_format(job: ExportJob, fn: Callable[..., Any]) -> ExportResult:
    """Call ``fn`` and turn what it returns into an :class:`ExportResult`."""
    import inspect

    try:
        n_params = len(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        n_params = 1
    # the documented form is fn(job); fn(services, ref, output) is accepted too
    out = fn(job) if n_params == 1 else fn(job.services, job.facts.ref, job.output)
    ref = job.facts.ref
    if isinstance(out, ExportResult):
        return out
    if isinstance(out, (str, Path)) and job.output is not None:
        return ExportResult(job.format.name, ref, (str(out),))
    if isinstance(out, (list, tuple)) and out and all(isinstance(p, Path) for p in out):
        return ExportResult(job.format.name, ref, tuple(str(p) for p in out))
    return ExportResult(job.format.name, ref, document=out)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temp file in the same folder, then a rename); make the folder."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
