"""docs/erasure.md: its python blocks run, in order, in one namespace (in a scratch folder)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import ROOT, run_python_blocks

DOC = ROOT / "docs" / "erasure.md"


def test_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    assert len(run_python_blocks(DOC, {"__name__": "__docs__"})) == 3
    out = capsys.readouterr().out
    assert "dataset:patients@2: 1 rows -> dataset:patients@4" in out
    assert "was erased by event" in out and "trained on erased data" in out
    assert "due: dataset:visits@1" in out and "held: dataset:claims@1 (tag legal-hold)" in out
