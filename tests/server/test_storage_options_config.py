"""``c.LifecycleConfig.storage_options`` with a local folder: every request gets a clear 400 naming the options
(never their values), and the folder is left as it was."""

from __future__ import annotations

import pytest

from .conftest import server_config

SECRET = "server-config-s3cr3t"


@pytest.fixture
def jp_server_config(registry_path):
    return server_config(str(registry_path), storage_options={"key": "k", "secret": SECRET})


async def test_storage_options_for_a_local_folder_are_a_clear_error(api, registry_path):
    before = sorted(p.relative_to(registry_path) for p in registry_path.rglob("*"))
    status, body = await api("assets")
    assert status == 400 and body["error"] == "UsageInputError"
    assert "storage options (key, secret) apply to registry URLs" in body["message"]
    assert "not to the local folder" in body["message"] and SECRET not in str(body)
    assert sorted(p.relative_to(registry_path) for p in registry_path.rglob("*")) == before
