"""Shared helpers for the example tests: a kernel that imports lifecycle_ext from this checkout, and a runner
that executes a notebook in a fresh kernel with a chosen working directory (so its default registry,
``./.lifecycle``, lands in a temp folder instead of the repository).

``python tests/examples/conftest.py`` re-executes every example in place and saves it with its outputs (what
GitHub renders); run it after editing a notebook.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NOTEBOOKS = sorted(EXAMPLES.glob("*.ipynb"))
EXPECTED_NOTEBOOKS = ["01-quickstart.ipynb", "02-datasets-and-label-schemas.ipynb", "03-gates-approvals-rollback.ipynb"]
KERNEL = "lifecycle-examples"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def doc_blocks(doc: Path, lang: str, text: str | None = None) -> list[str]:
    """The bodies of the fenced ``lang`` blocks of ``doc`` (or of ``text``, a part of it), in order."""
    return [body for kind, body in FENCE.findall(doc.read_text() if text is None else text) if kind == lang]


def run_python_blocks(doc: Path, ns: dict[str, Any], text: str | None = None) -> list[str]:
    """Execute ``doc``'s python blocks (or ``text``'s) in order in the namespace ``ns``; return them."""
    blocks = doc_blocks(doc, "python", text)
    for block in blocks:
        exec(compile(block, str(doc), "exec"), ns)  # noqa: S102 - our own documentation
    return blocks


def write_kernelspec(
    jupyter_dir: Path,
    python: str = sys.executable,
    pythonpath: str | None = str(ROOT),
    env: dict[str, str] | None = None,
) -> str:
    """A kernelspec under ``jupyter_dir/kernels`` for ``python`` whose kernel imports lifecycle_ext from
    ``pythonpath`` (None: whatever ``python`` has installed). Point $JUPYTER_PATH at ``jupyter_dir`` to use it."""
    spec = jupyter_dir / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    kenv = {"LIFECYCLE_FSYNC": "0", **(env or {})}
    if pythonpath:
        kenv["PYTHONPATH"] = pythonpath
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "lifecycle examples",
                "language": "python",
                "env": kenv,
            }
        )
    )
    return KERNEL


def run_notebook(src: Path, cwd: Path, kernel_name: str, timeout: int = 300) -> object:
    """Copy ``src`` into ``cwd``, execute it there in a fresh kernel (raises CellExecutionError on the first
    failing cell, assertions included) and return the executed notebook (also written back to the copy)."""
    import nbformat
    from nbclient import NotebookClient

    dst = cwd / src.name
    if dst.resolve() != src.resolve():
        shutil.copy(src, dst)
    nb = nbformat.read(dst, as_version=4)
    NotebookClient(
        nb, kernel_name=kernel_name, timeout=timeout, allow_errors=False, resources={"metadata": {"path": str(cwd)}}
    ).execute()
    nbformat.write(nb, dst)
    return nb


def outputs_text(nb: object) -> str:
    """Every text and HTML output of an executed notebook, concatenated (for assertions on what it showed)."""
    parts = []
    for cell in nb.cells:  # type: ignore[attr-defined]
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            data = out.get("data", {})
            parts += [data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


@pytest.fixture
def kernel_name(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> str:
    """A kernelspec for this interpreter importing lifecycle_ext from the checkout; the default registry
    location applies (no $LIFECYCLE_REGISTRY leaks in from the test runner's environment)."""
    jupyter_dir = tmp_path_factory.mktemp("jupyter")
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_dir))
    monkeypatch.delenv("LIFECYCLE_REGISTRY", raising=False)
    return write_kernelspec(jupyter_dir)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh working folder standing in for the folder a user runs the examples from."""
    d = tmp_path / "work"
    d.mkdir()
    monkeypatch.chdir(d)
    yield d


def _save_examples_with_outputs() -> None:
    """Execute every example in a scratch copy of ``examples/`` and save it back with its outputs."""
    import nbformat

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "examples"
        work.mkdir()
        jupyter_dir = Path(tmp) / "jupyter"
        os.environ["JUPYTER_PATH"] = str(jupyter_dir)
        os.environ.pop("LIFECYCLE_REGISTRY", None)
        kernel = write_kernelspec(jupyter_dir, env={"LIFECYCLE_USER": os.environ.get("LIFECYCLE_USER", "alice")})
        for src in NOTEBOOKS:
            nb = run_notebook(src, work, kernel)
            nb.metadata["kernelspec"] = {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",  # type: ignore[attr-defined]
                "language": "python",
            }
            text = outputs_text(nb)
            for leak in (tmp, str(ROOT)):
                if leak in text:
                    raise SystemExit(f"{src.name}: an output shows the local path {leak!r}; keep outputs portable")
            nbformat.write(nb, src)
            print(f"saved {src.relative_to(ROOT)} with outputs")


if __name__ == "__main__":
    _save_examples_with_outputs()
