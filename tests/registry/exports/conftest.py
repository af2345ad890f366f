"""One registry taken through the whole lifecycle, shared by the export tests of a module (exports change nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import lifecycle_ext

from .lifecycle import Lifecycle, build_lifecycle


@pytest.fixture(scope="module")
def life(tmp_path_factory: pytest.TempPathFactory) -> Lifecycle:
    root = tmp_path_factory.mktemp("lifecycle")

    def make(*, policy: str | None = None, policy_by: str | None = None) -> Any:
        reg = lifecycle_ext.open_registry(root / "registry", user="alice", fsync=False)
        if policy is not None:
            reg.as_user(policy_by or "alice").set_policy(policy)
        return reg

    return build_lifecycle(make)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "out"
