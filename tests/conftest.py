"""Shared fixtures: a real registry folder per test."""

from __future__ import annotations

import pytest

import lifecycle_ext
from lifecycle_ext.core.clock import ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def reg(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    return lifecycle_ext.open_registry(tmp_path / "registry", clock=clock)
