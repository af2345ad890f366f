"""``ExportService``: gather a version's facts and write it in one of the formats of :data:`.FORMATS`."""

from __future__ import annotations

import os
from pathlib import Path

from ...core.errors import UsageInputError
from ..context import Service
from . import FORMATS, ExportJob, ExportResult, load_format, run_format
from .facts import gather

__all__ = ["ExportService"]


class ExportService(Service):
    def export(self, ref_or_name: str, format: str, output: str | os.PathLike[str] | None = None) -> ExportResult:
        """Export version ``ref_or_name`` (its latest version when it names an asset) as ``format``.

        With ``output`` the files are written there (a file, or a folder for formats that write several files)
        and their paths returned; without it the document is returned. Nothing in the registry changes.
        """
        if not isinstance(format, str) or format not in FORMATS:
            raise UsageInputError(f"unknown export format {format!r}; formats: {', '.join(FORMATS)}")
        fmt = FORMATS[format]
        if output is None and fmt.output == "required-dir":
            raise UsageInputError(f"the {format} export writes a folder: give output=PATH (--output PATH)")
        fn = load_format(format)  # a missing optional module fails before any work
        facts = gather(self.svc, ref_or_name)
        out = Path(output) if output is not None else None
        if out is not None and fmt.output == "file" and out.is_dir():
            out = out / f"{facts.record.kind}-{facts.record.name}-{facts.record.number}.{format}{fmt.suffix}"
        return run_format(ExportJob(self.svc, facts, out, fmt), fn)
