"""docs/storage.md, section "Compressed chunks and deltas for fine-tunes": its Python blocks run, in order."""

from __future__ import annotations

from pathlib import Path

from .conftest import run_python_blocks

DOC = Path(__file__).resolve().parents[2] / "docs" / "storage.md"


def test_storage_doc_python_blocks_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    section = DOC.read_text().split("## Compressed chunks and deltas for fine-tunes", 1)[1].split("\n## ", 1)[0]
    assert run_python_blocks(DOC, {}, section), "docs/storage.md has no python example"
    assert "then" in capsys.readouterr().out
