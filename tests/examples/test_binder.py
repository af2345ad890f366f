"""The Binder configuration cannot rot: a fresh virtual environment built from ``binder/`` alone (requirements,
then postBuild from the repository root) installs the package, builds the demo registry, and runs every example
with the *installed* package (not this checkout)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

import lifecycle_ext

from .conftest import EXPECTED_NOTEBOOKS, ROOT, outputs_text, run_notebook, write_kernelspec


def _copy_checkout(dst: Path) -> None:
    """The files git would ship (tracked plus new, not ignored): what Binder clones."""
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / rel)


@pytest.mark.slow
def test_binder_config_builds_an_environment_that_runs_the_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    _copy_checkout(repo)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    py = str(bin_dir / "python")
    for var in ("PYTHONPATH", "LIFECYCLE_REGISTRY", "PYTHONHOME"):
        monkeypatch.delenv(var, raising=False)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(env_dir),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "LIFECYCLE_FSYNC": "0",
    }

    def sh(*cmd: str, cwd: Path = repo) -> str:
        p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=1500)
        assert p.returncode == 0, f"{' '.join(cmd)} failed:\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}"
        return p.stdout

    sh(py, "-m", "pip", "install", "-q", "-r", "binder/requirements.txt")
    out = sh("bash", "binder/postBuild")

    # the demo registry the postBuild promised, and `lifecycle info` printed it
    demo = repo / "examples" / ".lifecycle"
    assert f"registry: {demo}" in out and "model:wine-classifier: 1 versions" in out
    assert lifecycle_ext.open_registry(demo).get("model:wine-classifier@staging").ref == "model:wine-classifier@1"

    # the environment imports the installed package, with sklearn from the [examples] extra
    where = sh(py, "-c", "import lifecycle_ext, sklearn; print(lifecycle_ext.__file__)", cwd=tmp_path)
    assert where.strip().startswith(str(env_dir)), where

    jupyter_dir = tmp_path / "jupyter"
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_dir))
    kernel = write_kernelspec(jupyter_dir, python=py, pythonpath=None)
    for name in EXPECTED_NOTEBOOKS:
        work = tmp_path / "run" / name
        work.mkdir(parents=True)
        nb = run_notebook(repo / "examples" / name, work, kernel)
        assert "all checks passed" in outputs_text(nb), name
    assert sys.executable != py
