"""Aliases (``KIND:NAME@champion``): the AliasSet writer, resolution, moving, removal and names that would shadow."""

import json

import numpy as np
import pytest

from lifecycle_ext import InvalidRef, NotFound, UsageInputError
from lifecycle_ext.cli import main


def test_alias_resolves_moves_and_is_removed(reg):
    v1 = reg.save(np.zeros(3), "model:churn")
    v2 = reg.save(np.ones(3), "model:churn")
    assert reg.alias(v1.ref, "champion").ref == v1.ref
    assert reg.get("model:churn@champion").ref == v1.ref
    reg.alias(v2.ref, "champion")  # moving it is one more event; v1 keeps its record
    assert reg.get("model:churn@champion").ref == v2.ref
    events = [e for e in reg.log.events() if e["type"] == "AliasSet"]
    assert [e["data"] for e in events] == [
        {"asset": "model:churn", "alias": "champion", "number": 1},
        {"asset": "model:churn", "alias": "champion", "number": 2},
    ]
    reg.unalias("model:churn", "champion")
    with pytest.raises(NotFound, match="champion"):
        reg.get("model:churn@champion")
    with pytest.raises(NotFound, match="no alias 'champion'"):
        reg.unalias("model:churn", "champion")
    audit = reg.audit("model:churn")
    assert list(audit["action"]).count("AliasSet") == 3
    assert reg.verify().ok


@pytest.mark.parametrize("name", ["latest", "staging", "production", "7", "v3", "abc123"])
def test_alias_names_that_would_shadow_a_version_stage_or_hash_are_refused(reg, name):
    v = reg.save(np.zeros(3), "model:churn")
    seq = reg.state["seq"]
    with pytest.raises((UsageInputError, InvalidRef)):
        reg.alias(v.ref, name)
    assert reg.state["seq"] == seq  # nothing recorded


def test_alias_from_the_cli(tmp_path, capsys):
    from lifecycle_ext import open_registry

    reg = open_registry(tmp_path)
    v = reg.save(np.zeros(3), "model:churn")
    assert main(["-R", str(tmp_path), "alias", v.ref, "champion"]) == 0
    capsys.readouterr()
    assert main(["-R", str(tmp_path), "get", "model:churn@champion", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ref"] == v.ref
    assert main(["-R", str(tmp_path), "unalias", "model:churn", "champion"]) == 0
    assert main(["-R", str(tmp_path), "get", "model:churn@champion"]) == 2
