"""docs/models.md: its Python blocks run in order in one namespace, and its bash block scores a file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.checkout import ROOT, checkout_env

from .conftest import doc_blocks, run_python_blocks

DOC = ROOT / "docs" / "models.md"


def test_models_doc_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlflow

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    ns: dict[str, Any] = {
        "registry_path": str(tmp_path / "registry"),
        "export_path": str(tmp_path / "exported"),
        "tracking_uri": f"sqlite:///{tmp_path / 'mlflow.db'}",
    }
    try:
        run_python_blocks(DOC, ns)
    finally:
        mlflow.set_tracking_uri(None)
    assert ns["imported"].ref == "model:cancer-mlflow@1"

    ns["X_test"].to_parquet(tmp_path / "rows.parquet")
    (bash,) = doc_blocks(DOC, "bash")
    cmd = bash.strip().split()
    assert cmd[:2] == ["lifecycle", "predict"]
    r = subprocess.run(
        [sys.executable, "-m", "lifecycle_ext.cli", "--registry", ns["registry_path"], *cmd[1:]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=checkout_env(LIFECYCLE_USER="alice"),
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    import pandas as pd

    got = pd.read_parquet(tmp_path / "scores.parquet")["prediction"].to_numpy()
    assert (got == ns["model"].predict(ns["X_test"])).all()
