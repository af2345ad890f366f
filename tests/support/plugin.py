"""The shared fixtures, loaded for every test folder by ``pytest_plugins`` in tests/conftest.py.

- ``clock``: a :class:`ManualClock` the registries of a test share (advance it to pass a soak gate).
- ``reg``: a fresh registry in ``tmp_path/registry`` acting as ``$LIFECYCLE_USER=alice``, on ``clock``.
- ``make_registry(path=None, *, user="alice", policy=None, policy_by=None, policy_reason=None, clock=<clock>,
  **open_options)``: open (creating) a registry as ``user``; with ``policy`` (text, e.g. from
  :func:`tests.support.policy.build_policy`) set it first, acting as ``policy_by`` (default ``user``).
  ``path=None``: a new folder under ``tmp_path``; ``clock=None``: the system clock.
- ``users``: the named principals (:mod:`tests.support.users`): ``users.alice.name``, ``users.carol.roles``,
  ``users.bob.token``.
- ``act_as(name)``: set ``$LIFECYCLE_USER`` for the rest of the test (what a kernel or CLI user does).
- ``openapi``: ``lifecycle_ext/server/openapi.json`` as an :class:`~tests.support.openapi.OpenAPI`
  (a read-only mapping) with ``openapi.validate(route, method, status, body)``.

Plain helpers to import: :mod:`tests.support.policy` (``build_policy``, ``team_policy``, ``gate``, ``metric``,
``approvals``), :mod:`tests.support.users`, :func:`tests.support.waiting.wait_until`,
:mod:`tests.support.monitor_data` (``frame``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import lifecycle_ext
from lifecycle_ext.core.clock import ManualClock

from .openapi import OpenAPI, load_openapi
from .users import ALICE, BOB, CAROL, DAVE, VICTOR

_FIXTURE_CLOCK: Any = object()  # make_registry's default: the test's ``clock`` fixture


@pytest.fixture(autouse=True)
def _no_jupyter_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees a Jupyter identity it did not set: the server extension publishes ``$LIFECYCLE_JUPYTER_USER``
    in its process when it loads (in-process servers in tests/server), and a hub sets ``$JUPYTERHUB_USER``; both
    are removed now and restored after the test."""
    monkeypatch.delenv("LIFECYCLE_JUPYTER_USER", raising=False)
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def reg(tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    return lifecycle_ext.open_registry(tmp_path / "registry", clock=clock)


@pytest.fixture
def make_registry(tmp_path: Path, clock: ManualClock) -> Callable[..., Any]:
    """``make_registry(path=None, *, user="alice", policy=None, ...)`` -> a registry acting as ``user``."""
    numbers = itertools.count(1)

    def make(
        path: str | Path | None = None,
        *,
        user: str | None = ALICE.name,
        policy: str | None = None,
        policy_by: str | None = None,
        policy_reason: str | None = None,
        clock: Any = _FIXTURE_CLOCK,
        **open_options: Any,
    ) -> Any:
        location = path if path is not None else tmp_path / f"registry-{next(numbers)}"
        chosen = clock_fixture if clock is _FIXTURE_CLOCK else clock
        registry = lifecycle_ext.open_registry(location, user=user, clock=chosen, **open_options)
        if policy is not None:
            setter = registry.as_user(policy_by) if policy_by and policy_by != user else registry
            if policy_reason is None:
                setter.set_policy(policy)
            else:
                setter.set_policy(policy, reason=policy_reason)
        return registry

    clock_fixture = clock
    return make


@pytest.fixture(scope="session")
def users() -> SimpleNamespace:
    """The principals by first name: alice (author), bob and carol (reviewers; carol releases), dave, victor."""
    return SimpleNamespace(**{p.name: p for p in (ALICE, BOB, CAROL, DAVE, VICTOR)})


@pytest.fixture
def act_as(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """``act_as("bob")``: registries opened without ``user=`` (and the CLI, magics) now act as bob."""
    return lambda name: monkeypatch.setenv("LIFECYCLE_USER", name)


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    return load_openapi()
