"""Search and paged lists on every surface: ``reg.search``, ``lifecycle search`` and ``GET search`` return the
same versions for a table of queries (lineage included); malformed queries are a positioned error and a 400;
``assets``/``versions``/``audit`` page with ``limit``/``since``/``cursor`` the same way over REST and the CLI;
REST answers are gzip-compressed."""

from __future__ import annotations

import gzip
import json

import pytest

import lifecycle_ext
from lifecycle_ext.cli import main
from tests.support.users import token_for


@pytest.fixture
def registry_path(tmp_path, make_registry):
    path = tmp_path / "registry"
    reg = make_registry(path, user="alice")
    reg.save({"rows": [1, 2]}, "dataset:churn", metadata={"licence": "CC-BY-4.0", "source": "crm"}, tags=["crm"])
    reg.save({"rows": [1, 2, 3]}, "dataset:churn", metadata={"licence": "CC-BY-4.0", "source": "crm"})
    reg.save({"rows": [9]}, "dataset:web", metadata={"licence": "proprietary"})
    reg.save({"w": [1]}, "model:churn", params={"C": 0.5}, metrics={"accuracy": 0.93}, inputs=["dataset:churn@1"])
    reg.save(
        {"w": [2]}, "model:churn", params={"C": 1.0}, metrics={"accuracy": 0.95}, inputs=["dataset:churn@2"], tags=["x"]
    )
    reg.save({"w": [3]}, "model:fraud", params={"C": 0.5}, metrics={"accuracy": 0.81}, inputs=["dataset:web@1"])
    reg.save({"w": [4]}, "model:ranker", params={"depth": 3}, metrics={"ndcg": 0.7}, inputs=["model:churn@2"])
    for i in range(7):
        reg.save({"n": i}, f"pipeline:s{i}", metadata={"owner": "labels"})
    reg.promote("model:churn@2", to="development", reason="good")
    reg.promote("model:churn@2", to="staging", reason="good")
    return path


QUERIES = [
    ("params.C = 0.5 and metrics.accuracy > 0.9", ["model:churn@1"]),
    ("metrics.accuracy > 0.9", ["model:churn@1", "model:churn@2"]),
    ("params.C = 0.5", ["model:churn@1", "model:fraud@1"]),
    ("kind = dataset and name ~ 'ch*'", ["dataset:churn@1", "dataset:churn@2"]),
    ("stage = staging", ["model:churn@2"]),
    ("tag = crm or tag = x", ["dataset:churn@1", "model:churn@2"]),
    ("author = alice and kind = model and not name = churn", ["model:fraud@1", "model:ranker@1"]),
    ("created >= 2000-01-01 and kind = dataset and metadata.source = crm", ["dataset:churn@1", "dataset:churn@2"]),
    ("trained_on dataset:churn@2", ["model:churn@2"]),
    ("trained_on dataset:churn", ["model:churn@1", "model:churn@2"]),
    ('upstream.licence = "CC-BY-4.0"', ["model:churn@1", "model:churn@2", "model:ranker@1"]),
    ("derived_from dataset:churn@2 and kind = model", ["model:churn@2", "model:ranker@1"]),
    ("feeds model:ranker", ["dataset:churn@2", "model:churn@2"]),
    ("metadata.owner = labels and version = 1", [f"pipeline:s{i}@1" for i in range(7)]),
    ("metrics.ndcg exists", ["model:ranker@1"]),
]


@pytest.mark.parametrize(("query", "expected"), QUERIES)
async def test_service_cli_and_rest_return_the_same_versions(api, openapi, registry_path, capsys, query, expected):
    reg = lifecycle_ext.open_registry(registry_path)
    assert reg.search(query).refs == expected

    capsys.readouterr()
    assert main(["-R", str(registry_path), "--json", "search", query]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert [v["ref"] for v in cli["versions"]] == expected

    status, body = await api("search", params={"query": query})
    assert status == 200, body
    openapi.validate("search", "GET", 200, body)
    assert [v["ref"] for v in body["versions"]] == expected and body["next"] is None


async def test_malformed_queries_are_a_positioned_error_everywhere(api, openapi, registry_path, capsys):
    bad = "metrics.accuracy > and"
    reg = lifecycle_ext.open_registry(registry_path)
    with pytest.raises(lifecycle_ext.QueryError) as info:
        reg.search(bad)
    assert info.value.position == 19

    capsys.readouterr()
    assert main(["-R", str(registry_path), "search", bad]) == 2
    err = capsys.readouterr().err
    assert "column 20" in err and "expected a value after '>'" in err

    status, body = await api("search", params={"query": bad})
    assert status == 400
    openapi.validate("search", "GET", 400, body)
    assert body["error"] == "QueryError" and "column 20" in body["message"]


async def test_search_pages_with_a_cursor(api, registry_path):
    reg = lifecycle_ext.open_registry(registry_path)
    everything = reg.search("version >= 1").refs
    got, cursor = [], None
    while True:
        page = reg.search("version >= 1", limit=4, cursor=cursor)
        assert len(page) <= 4
        got += page.refs
        cursor = page.next
        if cursor is None:
            break
    assert got == everything and len(everything) == 14
    status, body = await api("search", params={"query": "version >= 1", "limit": "4"})
    assert status == 200 and [v["ref"] for v in body["versions"]] == everything[:4] and body["next"]


async def _walk(api, route, params):
    items, cursor, pages = [], None, 0
    key = {"assets": "assets", "versions": "versions", "audit": "events"}[route]
    while True:
        status, body = await api(route, params={**params, **({"cursor": cursor} if cursor else {})})
        assert status == 200, body
        items += body[key]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            return items, pages


@pytest.mark.parametrize(
    ("route", "params", "field"),
    [("assets", {}, "asset"), ("versions", {"name": "dataset:churn"}, "ref"), ("audit", {}, "seq")],
)
async def test_rest_lists_page_to_the_whole_list(api, openapi, route, params, field):
    status, whole = await api(route, params=params)
    assert status == 200
    openapi.validate(route, "GET", 200, whole)
    key = {"assets": "assets", "versions": "versions", "audit": "events"}[route]
    assert whole["next"] is None
    items, pages = await _walk(api, route, {**params, "limit": "1"})
    assert [i[field] for i in items] == [i[field] for i in whole[key]]
    assert pages == len(whole[key]) + 0  # one item a page; the last page says next: null
    status, first = await api(route, params={**params, "limit": "1"})
    openapi.validate(route, "GET", 200, first)


async def test_since_keeps_what_changed(api, registry_path):
    reg = lifecycle_ext.open_registry(registry_path)
    seq = reg.state["seq"]
    reg.tag("dataset:web@1", "fresh")
    status, body = await api("assets", params={"since": str(seq)})
    assert status == 200 and [a["asset"] for a in body["assets"]] == ["dataset:web"]
    status, body = await api("audit", params={"since": str(seq)})
    assert [e["action"] for e in body["events"]] == ["TagAdded"]
    status, body = await api("versions", params={"name": "model:churn", "since": "2999-01-01"})
    assert body["versions"] == []
    status, body = await api("assets", params={"since": "yesterday"})
    assert status == 400 and "since" in body["message"]
    status, body = await api("assets", params={"cursor": "%%%"})
    assert status == 400 and "cursor" in body["message"]
    status, body = await api("assets", params={"limit": "0"})
    assert status == 400 and "limit" in body["message"]


def test_cli_lists_page_and_say_where_the_next_page_starts(registry_path, capsys):
    capsys.readouterr()
    assert main(["-R", str(registry_path), "assets", "--limit", "2"]) == 0
    out = capsys.readouterr()
    assert "dataset:churn" in out.out and "dataset:web" in out.out and "pipeline:s0" not in out.out
    cursor = out.err.split("--cursor ", 1)[1].split()[0]
    assert main(["-R", str(registry_path), "--json", "ls", "--limit", "2", "--cursor", cursor]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["asset"] for r in rows] == ["model:churn", "model:fraud"]
    assert main(["-R", str(registry_path), "--json", "audit", "--since", "3", "--limit", "2"]) == 0
    assert [r["seq"] for r in json.loads(capsys.readouterr().out)] == [4, 5]
    assert main(["-R", str(registry_path), "--json", "versions", "dataset:churn", "--limit", "1"]) == 0
    assert [r["ref"] for r in json.loads(capsys.readouterr().out)["versions"]] == ["dataset:churn@1"]
    assert main(["-R", str(registry_path), "browse", "--limit", "1", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [a["asset"] for a in listing["assets"]] == ["dataset:churn"] and listing["next"]


async def test_rest_answers_are_gzip_compressed(jp_fetch, registry_path):
    headers = {"Authorization": f"token {token_for('alice')}", "Accept-Encoding": "gzip"}
    r = await jp_fetch("lifecycle", "api", "audit", headers=headers, decompress_response=False)
    assert r.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in r.headers["Vary"]
    body = json.loads(gzip.decompress(r.body))
    assert len(body["events"]) > 10 and len(r.body) < len(json.dumps(body)) / 3
    plain = await jp_fetch("lifecycle", "api", "audit", headers={**headers, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and json.loads(plain.body) == body


async def test_inbox_lists_requests_the_user_may_approve_until_they_do(api, openapi, registry_path, make_registry):
    from tests.support.policy import team_policy

    reg = make_registry(registry_path, user="alice")
    reg.as_user("carol").set_policy(team_policy(), reason="team policy")
    reg.request_promotion("model:churn@1", to="development", reason="please look")
    status, body = await api("inbox", user="bob")
    assert status == 200, body
    openapi.validate("inbox", "GET", 200, body)
    assert body["user"] == "bob"
    [item] = [i for i in body["items"] if i["type"] == "request"]
    assert item["ref"] == "model:churn@1" and item["to"] == "development" and item["by"] == "alice"
    assert item["reason"] == "please look"
    status, body = await api("inbox", user="victor")  # a viewer may approve nothing
    assert [i for i in body["items"] if i["type"] == "request"] == []
    status, _ = await api("approve", user="bob", body={"ref": "model:churn@1", "to": "development", "reason": "ok"})
    assert status == 200
    status, body = await api("inbox", user="bob")
    assert [i for i in body["items"] if i["type"] == "request"] == []
    assert "await carol" in str(lifecycle_ext.open_registry(registry_path, user="carol").inbox())
