"""CLI, %lifecycle, REST routes, openapi.json and tokens.ts agree with the action catalogue; a toy action added
to a copy of the catalogue appears on all three surfaces; --json anywhere, spellings and aliases, untag."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import pytest

import lifecycle_ext
from lifecycle_ext.cli import main
from lifecycle_ext.cli.commands import build_parser, commands
from lifecycle_ext.registry.actions import CATALOGUE, Action, Arg, Rest, Result, cli_name

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((ROOT / "lifecycle_ext" / "server" / "openapi.json").read_text())
TOKENS = (ROOT / "labextension" / "src" / "tokens.ts").read_text()


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def _magic(catalogue: Any = None, reg: Any = None) -> Any:
    from lifecycle_ext.magics.lifecycle_magics import LifecycleMagics

    class Session:
        def registry(self, override: str | None = None, storage_options: dict[str, Any] | None = None) -> Any:
            return reg

    return LifecycleMagics(None, session=Session(), catalogue=catalogue)  # type: ignore[arg-type]


def _magic_parser(m: Any) -> argparse.ArgumentParser:
    from lifecycle_ext.magics.magic_commands import MAGIC_COMMANDS

    m.lifecycle("--help")  # builds (and caches) the magic's parser
    assert m._parser is not None and set(MAGIC_COMMANDS) <= {
        p.get_default("command") for p in _subparsers(m._parser).values()
    }
    return m._parser


def _check_parser_agrees(parser: argparse.ArgumentParser, action: Action) -> None:
    subs = _subparsers(parser)
    p = subs[cli_name(action.name)]
    for spelling in (action.name, *[a for a in action.aliases if " " not in a]):
        assert subs[spelling] is p, spelling
    assert p.get_default("command") == action.name
    by_dest: dict[str, argparse.Action] = {}
    for a in p._actions:
        by_dest.setdefault(a.dest, a)  # the first one: the catalogue's (adapters may add more spellings)
    for arg in action.args:
        got = by_dest[arg.name]
        if arg.positional:
            assert not got.option_strings and got.nargs == (None if arg.required else "?"), arg.name
        else:
            assert f"--{cli_name(arg.name)}" in got.option_strings, arg.name
            assert got.required == arg.required, arg.name
        if arg.choices:
            assert tuple(got.choices) == arg.choices
    for opt in ("--json", "--registry", "-R", "--traceback"):  # accepted after the subcommand too
        assert opt in p._option_string_actions, (action.name, opt)


# -- 1. every surface agrees with the catalogue --------------------------------------------------------


def test_cli_subcommands_are_the_catalogue():
    parser = build_parser("lifecycle")
    assert set(commands()) == {a.name for a in CATALOGUE}
    assert {p.get_default("command") for p in _subparsers(parser).values()} == {a.name for a in CATALOGUE}
    for action in CATALOGUE:
        _check_parser_agrees(parser, action)


def test_magic_subcommands_are_the_catalogue_plus_registry_and_load(capsys):
    parser = _magic_parser(_magic())
    capsys.readouterr()
    names = {p.get_default("command") for p in _subparsers(parser).values()}
    assert names == {a.name for a in CATALOGUE} | {"registry", "load"}
    for action in CATALOGUE:
        _check_parser_agrees(parser, action)


def test_rest_routes_are_the_catalogues_rest_actions_plus_meta_routes():
    from lifecycle_ext.server.handlers import META_ROUTES, ROUTES, ActionHandler

    assert [r[0] for r in ROUTES[: len(META_ROUTES)]] == list(META_ROUTES)
    actions = {name: kw["action"] for name, cls, kw in ROUTES if cls is ActionHandler}
    assert actions == {a.name: a for a in CATALOGUE.rest()}


def _schema(ref: dict[str, Any]) -> dict[str, Any]:
    return OPENAPI["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]


def test_openapi_declares_exactly_the_catalogues_rest_actions():
    from lifecycle_ext.server.handlers import META_ROUTES

    paths = OPENAPI["paths"]
    assert set(paths) == {f"/lifecycle/api/{n}" for n in [*META_ROUTES, *(a.name for a in CATALOGUE.rest())]}
    for a in CATALOGUE.rest():
        assert a.rest is not None
        ops = paths[f"/lifecycle/api/{a.name}"]
        assert set(ops) == {a.rest.method.lower()}, a.name
        op = ops[a.rest.method.lower()]
        assert op["operationId"] == a.name
        ok = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{a.rest.schema}"}, a.name
        if a.rest.write:
            assert "parameters" not in op or not op["parameters"]
            body = _schema(op["requestBody"]["content"]["application/json"]["schema"])
            assert set(body["properties"]) == {g.name for g in a.args}, a.name
            assert set(body["required"]) == {g.name for g in a.args if g.required_over_rest}, a.name
            for g in a.args:
                assert ("boolean" in json.dumps(body["properties"][g.name])) == (g.type is bool), (a.name, g.name)
        else:
            assert "requestBody" not in op
            params = {p["name"]: p for p in op.get("parameters", [])}
            assert {n: p["required"] for n, p in params.items()} == {g.name: g.required_over_rest for g in a.args}
            for g in a.args:
                assert params[g.name]["in"] == "query"
                if g.choices:
                    assert set(params[g.name]["schema"]["enum"]) == set(g.choices)


def _ts_list(name: str) -> list[str]:
    m = re.search(rf"export const {name}[^=]*=\s*\[(.*?)\]", TOKENS, re.S)
    assert m, name
    return re.findall(r"'([a-z_]+)'", m.group(1))


def test_tokens_ts_declares_the_catalogues_routes():
    from lifecycle_ext.server.handlers import META_ROUTES

    union = re.search(r"export type ActionName =(.*?);", TOKENS, re.S)
    assert union
    writes = {a.name for a in CATALOGUE.rest() if a.rest and a.rest.write}
    reads = {a.name for a in CATALOGUE.rest() if a.rest and not a.rest.write}
    assert set(re.findall(r"'([a-z_]+)'", union.group(1))) == writes
    assert set(_ts_list("ACTIONS")) == writes
    assert set(_ts_list("READ_ROUTES")) == reads
    assert _ts_list("META_ROUTES") == list(META_ROUTES)


# -- 2. a toy action added to a copy appears on the CLI, the magic and REST ---------------------------

TOY_READ = Action(
    "shout",
    "say it louder",
    (Arg("text", required=True, positional=True, help="what to say"), Arg("times", type=int, default=1)),
    rest=Rest("GET", "Shout"),
    result=Result("str"),
)
TOY_WRITE = Action(
    "label",
    "tag a version (toy spelling of tag)",
    (Arg("ref", required=True, positional=True), Arg("tag", required=True)),
    method="tag",
    rest=Rest("POST", "ActionResult"),
    result=Result("Version"),
)


class Toy:
    state = {"seq": 7}

    def shout(self, text: str, times: int = 1) -> str:
        return " ".join([text.upper()] * times)


def test_a_toy_action_appears_on_cli_magic_and_rest(tmp_path, capsys):
    from lifecycle_ext.server.handlers import ActionHandler, body_values, query_values, routes, run_action

    cat = CATALOGUE.with_action(TOY_READ).with_action(TOY_WRITE)
    # the CLI parser
    parser = build_parser("lifecycle", catalogue=cat)
    _check_parser_agrees(parser, TOY_READ)
    ns = parser.parse_args(["shout", "hi", "--times", "2", "--json"])
    assert ns.command == "shout" and ns.times == 2 and ns.json is True
    assert commands(cat)["shout"].run(Toy(), ns) == "HI HI"
    assert "shout" not in commands()  # the real catalogue is untouched
    # the magic's parser, and the magic running it
    m = _magic(cat, reg=Toy())
    _check_parser_agrees(_magic_parser(m), TOY_READ)
    capsys.readouterr()
    m.lifecycle("shout hey --times 3 --json")
    assert json.loads(capsys.readouterr().out) == "HEY HEY HEY"
    # the REST route table, and its handler calling the named method
    table = {name: (cls, kw) for name, cls, kw in routes(cat)}
    assert table["shout"] == (ActionHandler, {"action": TOY_READ})
    assert table["label"] == (ActionHandler, {"action": TOY_WRITE})
    q = {"text": "yo", "times": "2"}
    assert run_action(TOY_READ, Toy(), query_values(TOY_READ, q.get)) == "YO YO"
    reg = lifecycle_ext.open_registry(tmp_path / "reg", user="alice")
    reg.save({"w": 1}, "model:m")
    out = run_action(TOY_WRITE, reg, body_values(TOY_WRITE, {"ref": "model:m@1", "tag": "gold"}))
    assert reg.get("model:m@1").tags == ["gold"] and out["seq"] == reg.state["seq"]


# -- 3. --json anywhere, spellings and aliases, untag, nested metrics ----------------------------------


@pytest.fixture
def loc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "reg"
    reg = lifecycle_ext.open_registry(path, user="alice")
    reg.save({"w": 1}, "model:m", metrics={"accuracy": 0.95, "f1": 0.5}, tags=["gold"])
    reg.save({"w": 2}, "model:m", metrics={"accuracy": 0.97})
    reg.save({"rows": [1]}, "dataset:d")
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["assets"],
        ["get", "model:m@1"],
        ["versions", "model:m"],
        ["gates", "model:m@1"],
        ["pending"],
        ["audit", "model:m"],
        ["lineage", "model:m@1"],
        ["policy"],
        ["permissions", "model:m@1"],
        ["info"],
    ],
)
def test_json_before_and_after_the_subcommand_is_the_same(loc, capsys, argv):
    before = _run(capsys, "-R", loc, "--json", *argv)
    after = _run(capsys, *argv, "--json", "-R", loc)
    assert before[0] == after[0] == 0 and _timeless(json.loads(before[1])) == _timeless(json.loads(after[1]))


def _timeless(doc: Any) -> Any:
    """A gate report carries the time it was evaluated; everything else must be equal."""
    if isinstance(doc, dict):
        doc.pop("evaluated_at", None)
    return doc


@pytest.mark.parametrize(
    ("spellings", "canonical"),
    [
        (["assets", "ls"], "assets"),
        (["get", "show"], "get"),
        (["request-promotion", "request_promotion", "request"], "request_promotion"),
        (["schema-impact", "schema_impact"], "schema_impact"),
        (["audit-view", "audit_view"], "audit_view"),
        (["drift-history", "drift_history"], "drift_history"),
        (["clear-revalidation", "clear_revalidation"], "clear_revalidation"),
        (["metric-history", "metric_history"], "metric_history"),
    ],
)
def test_dash_underscore_and_old_spellings_name_one_action(spellings, canonical):
    parser = build_parser("lifecycle")
    required = [f"--{cli_name(a.name)}=x" if not a.positional else "x" for a in CATALOGUE[canonical].args if a.required]
    for s in spellings:
        assert parser.parse_args(["--json", s, *required]).command == canonical, s


def test_policy_show_and_set_are_the_policy_and_set_policy_actions(loc, capsys, tmp_path):
    parser = build_parser("lifecycle")
    assert parser.parse_args(["policy", "show"]).command == "policy"
    ns = parser.parse_args(["-R", "x", "policy", "set", "p.toml", "-r", "why"])
    assert ns.command == "set_policy" and ns.text_or_path == Path("p.toml") and ns.reason == "why"
    assert _run(capsys, "-R", loc, "policy") == _run(capsys, "-R", loc, "policy", "show")
    good = tmp_path / "good.toml"
    good.write_text("version = 1\n")
    code, out = _run(capsys, "-R", loc, "set-policy", str(good), "--reason", "plain", "--json")
    assert code == 0 and json.loads(out)["set_by"] == "alice"


def test_untag_from_the_cli(loc, capsys):
    code, out = _run(capsys, "-R", loc, "untag", "model:m@1", "gold", "--json")
    assert code == 0 and json.loads(out)["tags"] == []
    assert lifecycle_ext.open_registry(loc).get("model:m@1").tags == []
    code, _ = _run(capsys, "-R", loc, "tag", "model:m@1", "silver")
    assert code == 0 and lifecycle_ext.open_registry(loc).get("model:m@1").tags == ["silver"]


def test_versions_json_nests_metrics_like_rest(loc, capsys):
    code, out = _run(capsys, "-R", loc, "versions", "model:m", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["asset"] == "model:m"
    assert [v["metrics"] for v in doc["versions"]] == [{"accuracy": 0.95, "f1": 0.5}, {"accuracy": 0.97}]
    assert not any(k.startswith("metric.") for v in doc["versions"] for k in v)


def test_cli_json_is_the_rest_json(loc, capsys):
    """The one serializer: what `--json` prints is what the REST route answers (inside its envelope)."""
    from lifecycle_ext.server.handlers import query_values, run_action

    reg = lifecycle_ext.open_registry(loc)
    for argv, name, query in (
        (["get", "model:m@2"], "get", {"ref": "model:m@2"}),
        (["lineage", "model:m@1"], "lineage", {"ref": "model:m@1"}),
        (["assets"], "assets", {}),
        (["gates", "model:m@1"], "gates", {"ref": "model:m@1"}),
    ):
        _, out = _run(capsys, "-R", loc, "--json", *argv)
        action = CATALOGUE[name]
        rest = run_action(action, reg, query_values(action, query.get))
        if action.rest and action.rest.envelope:
            rest = rest[action.rest.envelope]
        assert _timeless(json.loads(out)) == _timeless(json.loads(json.dumps(rest))), name
