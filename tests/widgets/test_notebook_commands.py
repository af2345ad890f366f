"""The view subcommands through the shared command table (CLI entry point, in process)."""

from __future__ import annotations

import json

from lifecycle_ext.cli import main


def test_metric_history_browse_permissions_json(built, capsys):
    path, _ = built
    assert main(["-R", str(path), "--json", "metric_history", "model:churn"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["reached"] for r in out["rows"]] == [["development"], ["development"]]
    assert main(["-R", str(path), "--json", "browse", "--tag", "gold"]) == 0
    assert [a["asset"] for a in json.loads(capsys.readouterr().out)["assets"]] == ["dataset:churn"]
    assert main(["-R", str(path), "--json", "permissions", "model:churn@2", "--to", "staging"]) == 0
    got = json.loads(capsys.readouterr().out)["actions"]
    assert got["approve"]["allowed"] is False and got["promote"]["allowed"] is True  # alice is the author
    assert main(["-R", str(path), "audit_view", "model:churn@2"]) == 0
    assert "audit trail of model:churn@2" in capsys.readouterr().out
