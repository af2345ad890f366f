"""`lifecycle diff A B [--json]`, `corrections`, `schema_impact` through the shared command table."""

from __future__ import annotations

import json

import pandas as pd

from lifecycle_ext import open_registry
from lifecycle_ext.cli import main


def test_cli_diff_text_json_and_errors(tmp_path, capsys):
    loc = str(tmp_path / "reg")
    reg = open_registry(loc, user="ci")
    reg.save(pd.DataFrame({"k": [1, 2, 3], "y": ["a", "b", "a"]}), "dataset:d", key="k", label="y")
    reg.save(pd.DataFrame({"k": [1, 2, 4], "y": ["b", "b", "a"]}), "dataset:d", reason="relabel 1")
    assert main(["-R", loc, "diff", "dataset:d@1", "dataset:d@2"]) == 0
    out = capsys.readouterr().out
    assert "additive: 1" in out and "corrective: 1" in out and "removal: 1" in out
    assert main(["-R", loc, "--json", "diff", "dataset:d@1", "dataset:d@2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["kind"] == "dataset" and doc["sections"]["removal"]["keys"] == [3]
    assert main(["-R", loc, "--json", "corrections", "dataset:d"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["key"], r["old_label"], r["new_label"], r["reason"]) for r in rows] == [(1, "a", "b", "relabel 1")]
    assert main(["-R", loc, "diff", "dataset:d@1", "dataset:nope@1"]) == 2
    assert "NotFound" in capsys.readouterr().err
