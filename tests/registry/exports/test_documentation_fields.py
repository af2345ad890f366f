"""``intended_use``, ``out_of_scope_use`` and ``risks``: checked at save, required by a ``documentation`` gate."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lifecycle_ext.core.errors import GateFailed, PolicyError, UsageInputError
from tests.support.policy import MODELS, build_policy, gate

from .lifecycle import DOCS


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"intended_use": ""}, "metadata 'intended_use' must be non-empty text"),
        ({"out_of_scope_use": ["a"]}, "metadata 'out_of_scope_use' must be non-empty text"),
        ({"risks": []}, "metadata 'risks' must be non-empty text or a list"),
        ({"risks": ["ok", 3]}, "metadata 'risks' must be non-empty text or a list"),
    ],
)
def test_bad_documentation_fields_are_refused_at_save_and_nothing_is_stored(
    reg: Any, metadata: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageInputError, match=message):
        reg.save(np.arange(3), "model:m", metadata=metadata)
    assert "model:m" not in reg.state["assets"]
    v = reg.save(np.arange(3), "model:m", metadata={**DOCS, "risks": "one risk as text"})
    assert v.metadata["intended_use"] == DOCS["intended_use"]


def test_documentation_gate_requires_the_fields(make_registry: Any) -> None:
    policy = build_policy(gates={"staging": [gate("documentation", kinds=MODELS)]})
    reg = make_registry(policy=policy)
    bare = reg.save(np.arange(3), "model:m").ref
    reg.promote(bare, "development")
    report = reg.gates(bare, "staging")
    assert not report.passed
    check = next(c for c in report.checks if c.type == "documentation")
    assert check.evidence["missing"] == ["intended_use", "out_of_scope_use", "risks"]
    with pytest.raises(GateFailed):
        reg.promote(bare, "staging")
    documented = reg.save(np.arange(4), "model:m", metadata=DOCS).ref
    reg.promote(documented, "development")
    assert reg.gates(documented, "staging").passed
    reg.promote(documented, "staging")
    assert reg.get(documented).stage == "staging"


def test_documentation_gate_options_are_checked(make_registry: Any) -> None:
    reg = make_registry()
    with pytest.raises(PolicyError, match="fields must be a non-empty list"):
        reg.set_policy(build_policy(gates={"staging": [gate("documentation", fields=[])]}))
    reg.set_policy(build_policy(gates={"staging": [gate("documentation", kinds=MODELS, fields=["intended_use"])]}))
    v = reg.save(np.arange(3), "model:m", metadata={"intended_use": "ranking"}).ref
    reg.promote(v, "development")
    assert reg.gates(v, "staging").passed
