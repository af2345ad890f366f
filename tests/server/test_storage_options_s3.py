"""A real jupyter_server configured with ``c.LifecycleConfig.storage_options`` serves a registry in a real SeaweedFS
bucket, with no ``AWS_*`` variable in its environment; its log names the options with the secrets masked."""

from __future__ import annotations

import json
import os
import uuid

import numpy as np
import pytest

import lifecycle_ext
from tests.support.openapi import load_openapi
from tests.support.seaweed import SECRET, seaweed_server
from tests.support.users import token_for

from .conftest import server_config

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
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "LIFECYCLE_STORAGE_OPTIONS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", os.environ.get("TMPDIR", "/tmp"))  # no ~/.aws either
    url, opts = s3
    if getattr(request, "param", "") == "a wrong secret":
        opts = {**opts, "secret": "not-the-secret"}
    if getattr(request, "param", "") == "credentials in the environment":
        monkeypatch.setenv("LIFECYCLE_STORAGE_OPTIONS", json.dumps({"key": opts["key"], "secret": opts["secret"]}))
        opts = {"client_kwargs": opts["client_kwargs"]}
    return server_config(url, storage_options=opts)


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


@pytest.mark.parametrize("jp_server_config", ["a wrong secret"], indirect=True)
async def test_a_storage_failure_is_a_json_error_naming_it_and_changes_nothing(jp_fetch, jp_serverapp, s3):
    """The bucket refuses the server's credentials: every route answers a JSON error saying the registry's
    storage failed and why (not tornado's HTML 500 page), and nothing in the bucket changes."""
    url, opts = s3
    reg = lifecycle_ext.open_registry(url, user="alice", **opts)
    before = (reg.state["seq"], reg.state["head"])
    headers = {"Authorization": f"token {token_for('alice')}"}
    for method, path, body in (
        ("GET", ("assets",), None),
        ("POST", ("promote",), json.dumps({"ref": "model:churn@1", "to": "staging", "reason": "r"})),
    ):
        r = await jp_fetch("lifecycle", "api", *path, method=method, body=body, headers=headers, raise_error=False)
        assert r.code in (502, 503), (r.code, r.body[:300])
        answer = json.loads(r.body)
        load_openapi().validate(path[0], method, r.code, answer)  # declared on every route
        assert answer["error"] == "StorageError" and answer["status"] == r.code
        assert answer["message"].startswith("the registry's storage failed: ")
        assert "not-the-secret" not in answer["message"]
    again = lifecycle_ext.open_registry(url, user="alice", **opts)
    assert (again.state["seq"], again.state["head"]) == before


def test_object_store_client_errors_are_bad_gateway_and_other_errors_are_not_storage_errors():
    from botocore.exceptions import EndpointConnectionError, NoCredentialsError

    from lifecycle_ext.server.base import storage_error_body

    down = storage_error_body(EndpointConnectionError(endpoint_url="http://127.0.0.1:9"))
    assert down is not None and down["status"] == 502 and "EndpointConnectionError" in down["message"]
    assert "--endpoint-url" in down["message"]  # says where storage options come from
    nocreds = storage_error_body(NoCredentialsError())
    assert nocreds is not None and nocreds["status"] == 502 and "NoCredentialsError" in nocreds["message"]
    full = storage_error_body(OSError(28, "No space left on device"))
    assert full is not None and full["status"] == 503 and "No space left on device" in full["message"]
    assert storage_error_body(KeyError("x")) is None
