"""A real jupyter_server configured with ``c.LifecycleConfig.storage_options`` serves a registry in a real SeaweedFS
bucket, with no ``AWS_*`` variable in its environment; its log names the options with the secrets masked."""

from __future__ import annotations

import json
import os
import uuid

import numpy as np
import pytest

import lifecycle_ext
from tests.support.seaweed import SECRET, seaweed_server
from tests.support.users import TOKENS, token_for

pytestmark = pytest.mark.s3


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    with seaweed_server(tmp_path_factory.mktemp("seaweed")) as opts:
        url = f"s3://lifecycle/{uuid.uuid4().hex}"
        reg = lifecycle_ext.open_registry(url, user="alice", **opts)
        reg.save(np.ones((4, 3), np.float32), "model:churn", metrics={"auc": 0.81})
        reg.save({"rows": [1, 2, 3]}, "dataset:crm", tags=["crm"])
        yield url, opts


@pytest.fixture
def jp_server_config(s3, monkeypatch, request):
    from tests.support.token_identity import TokenUsersIdentityProvider

    for name in list(os.environ):
        if name.startswith("AWS_") or name == "LIFECYCLE_STORAGE_OPTIONS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", os.environ.get("TMPDIR", "/tmp"))  # no ~/.aws either
    url, opts = s3
    if getattr(request, "param", "") == "credentials in the environment":
        monkeypatch.setenv("LIFECYCLE_STORAGE_OPTIONS", json.dumps({"key": opts["key"], "secret": opts["secret"]}))
        opts = {"client_kwargs": opts["client_kwargs"]}
    return {
        "ServerApp": {
            "jpserver_extensions": {"lifecycle_ext": True},
            "identity_provider_class": TokenUsersIdentityProvider,
        },
        "TokenUsersIdentityProvider": {"users": TOKENS},
        "LifecycleConfig": {"registry": url, "storage_options": opts},
    }


async def test_server_answers_from_the_bucket_with_configured_storage_options(jp_fetch, jp_serverapp, s3, caplog):
    assert not any(k.startswith("AWS_") for k in os.environ)
    headers = {"Authorization": f"token {token_for('alice')}"}
    r = await jp_fetch("lifecycle", "api", "assets", headers=headers, raise_error=False)
    assert r.code == 200, r.body
    body = json.loads(r.body)
    assert sorted(a["asset"] for a in body["assets"]) == ["dataset:crm", "model:churn"]
    r = await jp_fetch("lifecycle", "api", "versions", params={"name": "model:churn"}, headers=headers)
    assert json.loads(r.body)["versions"][0]["metrics"] == {"auc": 0.81}
    # what the extension logs when it loads names the registry and its options, secrets masked (traitlets
    # itself logs the whole config at DEBUG level: docs/storage.md says to keep credentials in the server's
    # environment then, which the next test does). Loaded again here, where caplog sees the server's log.
    from lifecycle_ext.server import _load_jupyter_server_extension

    caplog.clear()
    _load_jupyter_server_extension(jp_serverapp)
    ours = "\n".join(rec.getMessage() for rec in caplog.records if "lifecycle_ext: REST API" in rec.getMessage())
    url, _ = s3
    assert url in ours and "key=***" in ours and "secret=***" in ours, caplog.text
    assert "client_kwargs.endpoint_url=http://127.0.0.1:" in ours and SECRET not in caplog.text


@pytest.mark.parametrize("jp_server_config", ["credentials in the environment"], indirect=True)
async def test_server_takes_the_endpoint_from_config_and_credentials_from_the_environment(
    jp_fetch, jp_serverapp, s3, caplog
):
    assert not any(k.startswith("AWS_") for k in os.environ)
    assert "client_kwargs" not in os.environ["LIFECYCLE_STORAGE_OPTIONS"]
    headers = {"Authorization": f"token {token_for('bob')}"}
    r = await jp_fetch("lifecycle", "api", "assets", params={"kind": "dataset"}, headers=headers, raise_error=False)
    assert r.code == 200, r.body
    assert [(a["asset"], a["tags"]) for a in json.loads(r.body)["assets"]] == [("dataset:crm", ["crm"])]
    assert SECRET not in caplog.text and all(SECRET not in rec.getMessage() for rec in caplog.get_records("setup"))
