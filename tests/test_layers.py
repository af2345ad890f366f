"""The import layers of pyproject.toml's ``[tool.importlinter]`` hold, and the check is live.

CI runs the same check on its own: ``lint-imports --no-cache`` from the repository root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = [
    sys.executable,
    "-c",
    "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())",
    "--no-cache",
    "--no-logo",
]


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("importlinter")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # lint-imports analyses the package in cwd
    return subprocess.run(LINT, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    r = _lint(ROOT)
    assert r.returncode == 0, f"`lint-imports` failed (run it from the repository root):\n{r.stdout}\n{r.stderr}"
    assert "0 broken" in r.stdout


def test_a_backwards_import_breaks_the_contract(tmp_path):
    shutil.copytree(
        ROOT / "lifecycle_ext", tmp_path / "lifecycle_ext", ignore=shutil.ignore_patterns("__pycache__", "labextension")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with open(tmp_path / "lifecycle_ext" / "storage" / "ports.py", "a") as f:
        f.write("\nfrom ..registry import compose as _compose  # noqa: E402\n")
    r = _lint(tmp_path)
    assert r.returncode != 0
    assert "lifecycle_ext.storage is not allowed to import lifecycle_ext.registry" in r.stdout


def test_core_and_storage_import_nothing_above_them():
    """What the layers contract cannot say: not even the root package (``lifecycle_ext/__init__.py``)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("lifecycle_ext")
    allowed = {"core": ("core",), "storage": ("storage", "core")}
    bad = []
    for module in sorted(graph.modules):
        parts = module.split(".")
        if len(parts) < 2 or parts[1] not in allowed:
            continue
        for target in graph.find_modules_directly_imported_by(module):
            tparts = target.split(".")
            if tparts[0] == "lifecycle_ext" and (len(tparts) < 2 or tparts[1] not in allowed[parts[1]]):
                bad.append(f"{module} -> {target}")
    assert not bad, "imports above the layer:\n" + "\n".join(bad)
