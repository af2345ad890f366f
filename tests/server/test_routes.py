"""Every /lifecycle/api route against a real jupyter_server; responses validated against openapi.json."""

from __future__ import annotations

import json

import pytest

from lifecycle_ext.server.base import STATUS_MAP, status_for
from lifecycle_ext.server.handlers import ROUTES


async def test_openapi_lists_exactly_the_registered_routes(openapi):
    assert {f"/lifecycle/api/{name}" for name, _, _ in ROUTES} == set(openapi["paths"])
    openapi.check_components()


async def test_version_handshake_names_package_api_and_user(api, openapi):
    import lifecycle_ext

    status, body = await api("version", user="bob")
    assert status == 200
    openapi.validate("version", "GET", 200, body)
    assert body == {"package": lifecycle_ext.__version__, "api": "1", "user": "bob"}


async def test_head_moves_when_a_notebook_saves(api, openapi, registry_path):
    import lifecycle_ext

    status, before = await api("head")
    assert status == 200
    openapi.validate("head", "GET", 200, before)
    lifecycle_ext.open_registry(registry_path, user="alice").save({"rows": [9]}, "dataset:churn")
    _, after = await api("head")
    assert after["seq"] == before["seq"] + 1 and after["head"] != before["head"]


async def test_assets_lists_kinds_latest_and_tags(api, openapi):
    status, body = await api("assets")
    assert status == 200
    openapi.validate("assets", "GET", 200, body)
    by = {a["asset"]: a for a in body["assets"]}
    assert set(by) == {"dataset:churn", "model:churn"}
    assert by["dataset:churn"]["latest"] == 2 and by["dataset:churn"]["tags"] == ["crm"]
    _, only = await api("assets", params={"kind": "model"})
    assert [a["asset"] for a in only["assets"]] == ["model:churn"]


async def test_versions_of_an_asset_with_metrics(api, openapi):
    status, body = await api("versions", params={"name": "model:churn"})
    assert status == 200
    openapi.validate("versions", "GET", 200, body)
    assert body["asset"] == "model:churn"
    (v,) = body["versions"]
    assert v["ref"] == "model:churn@1" and v["metrics"] == {"accuracy": 0.93} and v["author"] == "alice"
    _, ds = await api("versions", params={"name": "dataset:churn"})
    assert [v["version"] for v in ds["versions"]] == [1, 2]
    assert all(v["metrics"] == {} for v in ds["versions"])  # no NaN leaks from the frame


async def test_get_returns_the_creation_record_verbatim(api, openapi):
    status, body = await api("get", params={"ref": "model:churn@1"})
    assert status == 200
    openapi.validate("get", "GET", 200, body)
    assert body["inputs"] == ["dataset:churn@2"] and body["params"] == {"C": 1.0}
    assert body["note"] == "<img src=x onerror=alert(1)>"  # JSON carries text; the client renders it as text
    _, latest = await api("get", params={"ref": "dataset:churn"})
    assert latest["ref"] == "dataset:churn@2" and latest["parent"] == "dataset:churn@1"


async def test_lineage_links_both_ways(api, openapi):
    status, body = await api("lineage", params={"ref": "dataset:churn@2"})
    assert status == 200
    openapi.validate("lineage", "GET", 200, body)
    assert body["edges"] == [["dataset:churn@2", "model:churn@1"]] and body["downstream"] == ["model:churn@1"]
    _, up = await api("lineage", params={"ref": "model:churn", "direction": "up", "depth": "1"})
    assert up["upstream"] == ["dataset:churn@2"]


@pytest.mark.parametrize(
    ("route", "params", "status", "needle"),
    [
        ("get", {"ref": "model:nope@1"}, 404, "no asset model:nope"),
        ("get", {"ref": "model:churn@7"}, 404, "has no version 7"),
        ("get", {"ref": "not a ref"}, 400, ""),
        ("get", {}, 400, "'ref' is required"),
        ("versions", {"name": "ghost"}, 404, "no asset named 'ghost'"),
        ("lineage", {"ref": "model:churn", "direction": "sideways"}, 400, "direction"),
        ("lineage", {"ref": "model:churn", "depth": "two"}, 400, "'depth' must be an integer"),
    ],
)
async def test_errors_map_to_statuses_with_the_reason(api, openapi, route, params, status, needle):
    code, body = await api(route, params=params)
    assert code == status, body
    openapi.validate(route, "GET", status, body)
    assert body["status"] == status and needle in body["message"]


async def test_post_body_must_be_a_json_object_with_known_fields(api, openapi):
    code, body = await api("retire", body="{not json")
    assert code == 400 and "not valid JSON" in body["message"]
    openapi.validate("retire", "POST", 400, body)
    code, body = await api("retire", body=[1, 2])
    assert code == 400 and "JSON object" in body["message"]
    code, body = await api("approve", body={"ref": "model:churn@1", "to": "staging", "reason": "ok", "evil": 1})
    assert code == 400 and "evil" in body["message"]
    code, body = await api("approve", body={"ref": "model:churn@1", "to": "staging", "reason": "  "})
    assert code == 400 and "'reason' is required" in body["message"]
    code, body = await api("promote", body={"ref": "model:churn@1", "to": "staging", "reason": "x", "force": "yes"})
    assert code == 400 and "force" in body["message"]


def _lifecycle_routes(serverapp):
    """Every URL pattern registered anywhere in the tornado app (host routers walked recursively)."""
    pats = []

    def walk(router):
        for rule in getattr(router, "rules", []):
            walk(rule.target)
            pattern = getattr(rule.matcher, "regex", None)
            if pattern is not None and "/lifecycle/" in pattern.pattern:
                pats.append(pattern.pattern.rstrip("$"))

    walk(serverapp.web_app.default_router)
    return sorted(set(pats))


async def test_every_lifecycle_route_refuses_requests_without_auth(jp_serverapp, jp_fetch, jp_base_url):
    routes = _lifecycle_routes(jp_serverapp)
    assert len(routes) == len(ROUTES)  # the enumeration found every route we register
    for pattern in routes:
        path = pattern[len(jp_base_url.rstrip("/")) :] if pattern.startswith(jp_base_url.rstrip("/")) else pattern
        for method, body in (("GET", None), ("POST", json.dumps({"ref": "model:churn@1", "reason": "x"}))):
            for headers in ({"Authorization": ""}, {"Authorization": "token wrong-token"}):
                r = await jp_fetch(path.lstrip("/"), method=method, body=body, headers=headers, raise_error=False)
                assert r.code == 403, (method, path, headers, r.code)
        ok = await jp_fetch(path.lstrip("/"), headers={"Authorization": "token tok-alice"}, raise_error=False)
        assert ok.code in (200, 400, 405), (path, ok.code)  # the path is live for an authenticated user


async def test_the_server_token_alone_is_not_a_user(api, jp_fetch, jp_serverapp):
    token = jp_serverapp.identity_provider.token
    r = await jp_fetch("lifecycle", "api", "assets", headers={"Authorization": f"token {token}"}, raise_error=False)
    assert r.code == 403


def test_status_map_is_the_one_place_errors_become_statuses():
    from lifecycle_ext import core
    from lifecycle_ext.core import errors

    assert {status_for(cls("x")) for cls, _ in STATUS_MAP} == {404, 403, 422, 409, 400, 500}
    assert status_for(errors.GateFailed("x", report=None)) == 422
    assert status_for(errors.PermissionDenied("x")) == 403
    assert core is not None


async def test_diff_of_two_versions(api, openapi):
    status, body = await api("diff", params={"a": "dataset:churn@1", "b": "dataset:churn@2"})
    assert status == 200, body
    openapi.validate("diff", "GET", 200, body)
    assert body["a"] == "dataset:churn@1" and body["b"] == "dataset:churn@2"
    code, err = await api("diff", params={"a": "dataset:churn@1", "b": "model:churn@1"})
    assert code == 400, err
    openapi.validate("diff", "GET", 400, err)


async def test_deeply_nested_or_huge_bodies_are_400_not_500(api, openapi):
    """Issue 14 bug 6: 100,000-deep JSON gave HTTP 500 (RecursionError)."""
    deep = '{"ref": "model:churn@1", "reason": "x", "replaced_by": ' + "[" * 100_000 + "]" * 100_000 + "}"
    code, body = await api("retire", body=deep)
    assert code == 400 and "nests" in body["message"]
    openapi.validate("retire", "POST", 400, body)
    code, body = await api("retire", body={"ref": "model:churn@1", "reason": "x" * 3_000_000})
    assert code == 400 and "limit" in body["message"]
