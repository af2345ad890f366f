"""docs/search.md: every python block runs, in order, in one namespace; the bash blocks run with the
``lifecycle`` CLI against the registry the page built, and succeed."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from lifecycle_ext.cli import main

from .conftest import ROOT, doc_blocks

DOC = ROOT / "docs" / "search.md"


def blocks(lang: str) -> list[str]:
    return doc_blocks(DOC, lang)


def test_the_search_page_runs(tmp_path: Path, capsys):
    ns: dict[str, object] = {"workdir": tmp_path}
    python = blocks("python")
    assert len(python) >= 4
    for block in python:
        exec(compile(block, str(DOC), "exec"), ns)  # noqa: S102  (the page's own code)
    for block in blocks("bash"):
        for line in block.strip().splitlines():
            argv = shlex.split(line)
            assert argv[0] == "lifecycle"
            capsys.readouterr()
            assert main(["-R", str(tmp_path / "registry"), *argv[1:]]) == 0, line
            assert "model:churn@1" in capsys.readouterr().out


def test_the_grammar_on_the_page_names_every_field_of_the_parser():
    from lifecycle_ext.core.query import FIELDS, LINEAGE_PREDICATES, PREFIXES

    text = DOC.read_text()
    for name in [*FIELDS, *PREFIXES, *LINEAGE_PREDICATES]:
        if name in ("created_at", "tags"):  # spellings of created and tag
            continue
        assert f"`{name}" in text or f'"{name}"' in text, name


def test_the_workspace_page_names_what_the_extension_registers():
    doc = (ROOT / "docs" / "workspace.md").read_text()
    index = (ROOT / "labextension" / "src" / "index.ts").read_text()
    command = re.search(r"OPEN_WORKSPACE = '([^']+)'", index).group(1)
    label = re.search(r"label: '([^']+)'", index).group(1)
    assert f"`{command}`" in doc and label in doc
    for test in ("tests/browser/test_workspace.py", "tests/browser/test_workspace_scale.py"):
        assert test in doc and (ROOT / test).is_file()
