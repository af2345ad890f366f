"""The action catalogue itself: names, methods, permissions, and that it stays cheap to import."""

from __future__ import annotations

import inspect
import subprocess
import sys

from lifecycle_ext.core.policy import ACTIONS as POLICY_ACTIONS
from lifecycle_ext.registry.actions import CATALOGUE, Action, Arg, Rest, Result, cli_name


def test_every_policy_permission_is_asked_for_by_some_action_and_no_other():
    # `force` is a flag of promote (an argument's permission), the others are actions' permissions
    assert CATALOGUE.permissions() == set(POLICY_ACTIONS)
    assert {a.permission for a in CATALOGUE if a.permission} == set(POLICY_ACTIONS) - {"force"}
    assert CATALOGUE["promote"].arg("force").permission == "force"


def test_every_action_calls_a_registry_method_with_its_argument_names(tmp_path):
    import lifecycle_ext

    Registry = type(lifecycle_ext.open_registry(tmp_path))  # noqa: N806  (whatever class the facade is)
    for action in CATALOGUE:
        method = getattr(Registry, action.method, None)
        assert callable(method), f"{action.name}: Registry has no method {action.method!r}"
        params = inspect.signature(method).parameters
        names = [n for n in params if n != "self"]
        for i, arg in enumerate(a for a in action.args if a.positional):
            assert names[i] == arg.name, f"{action.name}: positional {arg.name!r} is {names[i]!r} in the method"
        for arg in action.args:
            if not arg.positional:
                assert arg.name in params, f"{action.name}: {action.method}() takes no {arg.name!r}"


def test_names_are_unique_across_actions_and_aliases():
    spellings: list[str] = []
    for a in CATALOGUE:
        spellings += {a.name, cli_name(a.name), *a.aliases}
    assert len(spellings) == len(set(spellings))


def test_rest_reads_are_get_and_writes_are_post_with_reasons():
    for a in CATALOGUE.rest():
        assert a.rest is not None
        if a.rest.write:
            assert a.permission is not None and a.rest.schema == "ActionResult"
            assert a.arg("reason").required_over_rest  # the sidebar always says why
        else:
            assert a.permission is None


def test_with_action_returns_a_copy():
    toy = Action(
        "toy", "a toy", (Arg("x", positional=True, required=True),), rest=Rest("GET", "Toy"), result=Result("str")
    )
    bigger = CATALOGUE.with_action(toy)
    assert "toy" in bigger and "toy" not in CATALOGUE and len(bigger) == len(CATALOGUE) + 1


def test_the_catalogue_and_serializer_import_nothing_heavy():
    code = (
        "import sys, lifecycle_ext.registry.actions, lifecycle_ext.registry.serialize, lifecycle_ext.cli.commands\n"
        "heavy = [m for m in ('pandas', 'zarr', 'ipywidgets', 'numpy', 'lifecycle_ext.server', "
        "'lifecycle_ext.magics', 'lifecycle_ext.widgets') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
