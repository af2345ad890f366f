"""docs/erasure.md: its python blocks run, in order, in one namespace (in a scratch folder)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import ROOT

DOC = ROOT / "docs" / "erasure.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def test_python_blocks_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    blocks = [body for kind, body in FENCE.findall(DOC.read_text()) if kind == "python"]
    assert len(blocks) == 3
    ns: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), ns)  # noqa: S102 - our own documentation
    out = capsys.readouterr().out
    assert "dataset:patients@2: 1 rows -> dataset:patients@4" in out
    assert "was erased by event" in out and "trained on erased data" in out
    assert "due: dataset:visits@1" in out and "held: dataset:claims@1 (tag legal-hold)" in out
