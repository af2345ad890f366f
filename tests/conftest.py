"""Shared fixtures: a real registry folder per test."""

from __future__ import annotations

import os

import pytest

import lifecycle_ext
from lifecycle_ext.core.clock import ManualClock

# fsync makes each save ~20 ms slower and proves nothing a test can observe; crash tests turn it back on.
os.environ.setdefault("LIFECYCLE_FSYNC", "0")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def reg(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    return lifecycle_ext.open_registry(tmp_path / "registry", clock=clock)
