"""docs/datasets.md: its python blocks run, in order, in one namespace (in a scratch folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT, run_python_blocks

DOC = ROOT / "docs" / "datasets.md"


def test_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    assert run_python_blocks(DOC, {"__name__": "__docs__"})
    out = capsys.readouterr().out
    assert "2 row(s) need review (dog)" in out and "needs_review" in out
