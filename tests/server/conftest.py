"""A real jupyter_server with the lifecycle extension, a prepared registry and several users."""

from __future__ import annotations

import json

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (fixtures + the async test hook, for this folder only)

from tests.support.token_identity import TokenUsersIdentityProvider
from tests.support.users import TOKENS, token_for


@pytest.fixture
def registry_path(tmp_path, make_registry):
    path = tmp_path / "registry"
    reg = make_registry(path, user="alice")
    reg.save({"rows": [1, 2, 3]}, "dataset:churn", metadata={"source": "crm export"}, tags=["crm"])
    reg.save({"rows": [1, 2, 3, 4]}, "dataset:churn", metadata={"source": "crm export"}, tags=["crm"])
    reg.save(
        {"w": [0.1, 0.2]},
        "model:churn",
        metrics={"accuracy": 0.93},
        params={"C": 1.0},
        inputs=["dataset:churn@2"],
        note="<img src=x onerror=alert(1)>",
    )
    return path


def server_config(registry: str, **lifecycle: object) -> dict[str, object]:
    """A jupyter_server config with the extension on, the test users' tokens, and ``c.LifecycleConfig`` serving
    ``registry`` (plus any other ``LifecycleConfig`` traits given)."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"lifecycle_ext": True},
            "identity_provider_class": TokenUsersIdentityProvider,
        },
        "TokenUsersIdentityProvider": {"users": TOKENS},
        "LifecycleConfig": {"registry": registry, **lifecycle},
    }


@pytest.fixture
def jp_server_config(registry_path):
    return server_config(str(registry_path))


@pytest.fixture
def api(jp_fetch):
    """``await api("assets", user="alice", params={...})`` -> (status, JSON body); never raises on HTTP errors."""

    async def call(route, *, user="alice", params=None, body=None, method=None):
        token = token_for(user) if user else ""
        headers = {"Authorization": f"token {token}" if token else ""}
        kw = {"method": method or ("POST" if body is not None else "GET")}
        if body is not None:
            kw["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        r = await jp_fetch("lifecycle", "api", route, params=params or {}, headers=headers, raise_error=False, **kw)
        return r.code, (json.loads(r.body) if r.body else None)

    return call
