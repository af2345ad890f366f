"""Every example notebook runs headless in a fresh kernel, in a fresh folder, and its closing asserts hold; the
README's main job (the quickstart, then ``lifecycle info``) works as written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import lifecycle_ext

from .conftest import EXAMPLES, NOTEBOOKS, ROOT, outputs_text, run_notebook
from .conftest import EXPECTED_NOTEBOOKS as EXPECTED


def test_the_examples_are_the_ones_the_docs_promise() -> None:
    assert [p.name for p in NOTEBOOKS] == EXPECTED
    assert (EXAMPLES / "04-ci-gates.md").is_file()


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_in_a_fresh_kernel_and_its_checks_pass(name: str, workdir: Path, kernel_name: str) -> None:
    nb = run_notebook(EXAMPLES / name, workdir, kernel_name)  # raises on any error, failed asserts included
    assert "all checks passed" in outputs_text(nb)
    assert not any(o.get("output_type") == "error" for c in nb.cells for o in c.get("outputs", []))
    assert str(ROOT) not in outputs_text(nb)


def test_quickstart_can_be_run_again_in_the_same_folder(workdir: Path, kernel_name: str) -> None:
    for _ in range(2):
        run_notebook(EXAMPLES / "01-quickstart.ipynb", workdir, kernel_name)
    reg = lifecycle_ext.open_registry(workdir / ".lifecycle")
    versions = reg.versions("model:wine-classifier")
    # the second run changed nothing: it is recorded as a re-run of each version, which stay where they were
    assert len(versions) == 1 and versions.stage.tolist() == ["staging"]
    assert len(reg.versions("dataset:wine")) == 1 and reg.verify().ok
    assert len(reg.resolve("model:wine-classifier@1")["reruns"]) == 1


@pytest.mark.parametrize("name", EXPECTED)
def test_saved_notebook_has_outputs_and_nothing_local(name: str) -> None:
    """What GitHub renders: every code cell executed and shown, no errors, no paths from the machine that ran it."""
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.execution_count for c in code)
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))  # run top to bottom, once
    text = outputs_text(nb)
    assert "all checks passed" in text and "Traceback" not in text
    widget_outputs = [
        o.get("data", {})
        for c in code
        for o in c.outputs
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert all("text/html" in d for d in widget_outputs)  # static viewers show HTML, not the widget's repr
    assert not re.search(r"/tmp/|/home/|/Users/|/root/|/work/|[A-Z]:\\\\", text)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert "%load_ext lifecycle_ext" in "".join(c.source for c in code)


def test_readme_main_job_runs_the_quickstart_and_prints_the_registry(tmp_path: Path, monkeypatch) -> None:
    """The README's first command, minus creating the venv and installing: run literally with `jupyter` from
    this interpreter's environment and a `lifecycle` command that runs this checkout."""
    readme = (ROOT / "README.md").read_text()
    main_job = re.search(r"```bash\n(.+?)\n```", readme).group(1)
    setup, _, job = main_job.partition('pip install ".[examples]" && ')
    assert setup == "python3 -m venv .venv && . .venv/bin/activate && ", main_job
    assert job == "cd examples && jupyter execute 01-quickstart.ipynb && lifecycle info", main_job

    repo = tmp_path / "checkout"
    (repo / "examples").mkdir(parents=True)
    shutil.copy(EXAMPLES / "01-quickstart.ipynb", repo / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "lifecycle"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m lifecycle_ext.cli "$@"\n')
    shim.chmod(0o755)
    monkeypatch.delenv("LIFECYCLE_REGISTRY", raising=False)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PATH": os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    p = subprocess.run(["bash", "-e", "-c", job], cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    registry = repo / "examples" / ".lifecycle"
    assert f"registry: {registry}" in p.stdout
    assert "dataset:wine: 1 versions" in p.stdout and "model:wine-classifier: 1 versions" in p.stdout
    assert "staging=v1" in p.stdout


def test_readme_binder_badge_points_at_the_repository_and_the_quickstart() -> None:
    import tomllib

    homepage = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Homepage"]
    owner_repo = homepage.removeprefix("https://github.com/").strip("/")
    readme = (ROOT / "README.md").read_text()
    url = f"https://mybinder.org/v2/gh/{owner_repo}/HEAD?labpath=examples%2F01-quickstart.ipynb"
    assert f"[![Binder](https://mybinder.org/badge_logo.svg)]({url})" in readme
    assert os.access(ROOT / "binder" / "postBuild", os.X_OK)
    assert len(re.findall(r"```bash\n", readme)) == 2  # exactly two set-up commands
