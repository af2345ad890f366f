"""docs/datasets.md: its python blocks run, in order, in one namespace (in a scratch folder)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import ROOT

DOC = ROOT / "docs" / "datasets.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def test_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    blocks = [body for kind, body in FENCE.findall(DOC.read_text()) if kind == "python"]
    assert blocks
    ns: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), ns)  # noqa: S102 - our own documentation
    out = capsys.readouterr().out
    assert "2 row(s) need review (dog)" in out and "needs_review" in out
