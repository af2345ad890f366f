"""Issue 14 bug 4: under a plain token-authenticated Jupyter server (jupyter_server's own IdentityProvider)
every REST request acted as a new random user. Now they act as one configured user; anonymous requests may not
change anything."""

from __future__ import annotations

import json
import os

import pytest

import lifecycle_ext

TOKEN = "plain-server-token"


@pytest.fixture
def jp_server_config(registry_path, request):
    token = getattr(request, "param", TOKEN)
    return {
        "ServerApp": {"jpserver_extensions": {"lifecycle_ext": True}, **({} if token else {"token": ""})},
        "IdentityProvider": {"token": token},
        "LifecycleConfig": {"registry": str(registry_path), "user": "carol"},
    }


async def _post(jp_fetch, route, body, token=TOKEN):
    headers = {"Authorization": f"token {token}" if token else ""}
    if not token:  # a browser page of an open server: it has the XSRF cookie, so only our check can refuse
        headers.update({"Cookie": "_xsrf=abc", "X-XSRFToken": "abc"})
    r = await jp_fetch(
        "lifecycle", "api", route, method="POST", body=json.dumps(body), headers=headers, raise_error=False
    )
    return r.code, json.loads(r.body) if r.body else None


async def test_three_requests_act_as_the_same_configured_user(jp_fetch, registry_path):
    for n, stage in ((1, "development"), (1, "staging"), (2, "development")):
        code, body = await _post(
            jp_fetch,
            "promote",
            {
                "ref": f"model:churn@{n}" if n == 1 else "dataset:churn@2",
                "to": stage if n == 1 else "draft",
                "reason": "r",
            },
        )
        assert code == 200, body
    r = await jp_fetch("lifecycle", "api", "version", headers={"Authorization": f"token {TOKEN}"})
    assert json.loads(r.body)["user"] == "carol"
    events = list(lifecycle_ext.open_registry(registry_path).log.events())
    assert [e["actor"] for e in events[-3:]] == ["carol", "carol", "carol"]


@pytest.mark.parametrize("jp_server_config", [""], indirect=True)
async def test_anonymous_state_changing_requests_get_403(jp_fetch, registry_path):
    before = lifecycle_ext.open_registry(registry_path).state["seq"]
    code, body = await _post(
        jp_fetch, "promote", {"ref": "model:churn@1", "to": "development", "reason": "r"}, token=""
    )
    assert code == 403 and "anonymous" in body["message"]
    r = await jp_fetch("lifecycle", "api", "assets", headers={"Authorization": ""}, raise_error=False)
    assert r.code == 200  # reading stays open where the server itself is open
    assert lifecycle_ext.open_registry(registry_path).state["seq"] == before


async def test_a_user_the_policy_does_not_list_may_not_change_anything(jp_fetch, registry_path):
    from tests.support.policy import build_policy

    lifecycle_ext.open_registry(registry_path, user="alice").set_policy(build_policy(users={"alice": ["admin"]}))
    code, body = await _post(jp_fetch, "promote", {"ref": "model:churn@1", "to": "development", "reason": "r"})
    assert code == 403 and "carol is not a user of this registry's policy" in body["message"]


async def test_the_server_publishes_who_the_sidebar_acts_as_to_the_kernels_it_starts(jp_serverapp):
    """Issue 14: kernels are child processes of the server; the extension sets $LIFECYCLE_JUPYTER_USER to the
    configured single-user name when it loads, so a real kernel started by this server sees who the sidebar acts
    as (and its widgets warn when they act as somebody else: tests/widgets)."""
    assert os.environ["LIFECYCLE_JUPYTER_USER"] == "carol"
    km = jp_serverapp.kernel_manager
    kid = await km.start_kernel()
    client = km.get_kernel(kid).client()
    try:
        client.start_channels()
        await client.wait_for_ready(timeout=120)
        out: list[str] = []
        code = "from lifecycle_ext.widgets._base import sidebar_user; print('sidebar:', sidebar_user())"
        reply = await client.execute_interactive(
            code,
            output_hook=lambda m: out.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None,
            timeout=120,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        assert "".join(out).strip() == "sidebar: carol"
    finally:
        client.stop_channels()
        await km.shutdown_kernel(kid, now=True)
