"""Export functions for the format-table tests, in the two accepted forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def three_args(services: Any, ref: str, output: Any) -> Path:
    """The ``fn(services, ref, output)`` form (the one issue 15's ``mlflow`` export uses): returns the folder."""
    out = Path(output)
    out.mkdir(parents=True)
    (out / "ref.txt").write_text(f"{ref} {services.ctx.resolve(ref)['content_hash']}")
    return out


def one_arg(job: Any) -> dict[str, Any]:
    """The ``fn(job)`` form returning a document."""
    return {"ref": job.facts.ref, "people": job.facts.people()}
