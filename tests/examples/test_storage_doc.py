"""docs/storage.md, section "Compressed chunks and deltas for fine-tunes": its Python blocks run, in order."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "storage.md"


def test_storage_doc_python_blocks_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    section = DOC.read_text().split("## Compressed chunks and deltas for fine-tunes", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "docs/storage.md has no python example"
    ns: dict = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), ns)  # noqa: S102 - the documentation's own example
    assert "then" in capsys.readouterr().out
