"""Build a policy TOML (``lifecycle.toml``, see docs/policy.md) from keyword options.

>>> print(build_policy(users=TEAM, permissions={"approve": ["reviewer"]},
...                    gates={"staging": [approvals("reviewer", count=2)]}))  # doctest: +NORMALIZE_WHITESPACE
version = 1
[stages]
default = ["development", "staging", "production"]
dataset = ["draft", "validated", "production"]
[users]
alice = ["data-scientist"]
bob = ["reviewer"]
carol = ["reviewer", "release-manager"]
[permissions]
approve = ["reviewer"]
[[gates.staging]]
type = "approvals"
kinds = ["model"]
role = "reviewer"
count = 2

The text is compact (no blank lines), so a test can name the line of a key it adds. Tests whose subject is the
literal text (policy parsing, error lines of hand-written files) keep writing it out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .users import TEAM, Principal

__all__ = ["STAGES", "MODELS", "TEAM_PERMISSIONS", "build_policy", "gate", "metric", "approvals", "team_policy"]

STAGES: dict[str, tuple[str, ...]] = {
    "default": ("development", "staging", "production"),
    "dataset": ("draft", "validated", "production"),
}
"""The default stage orders (those of the default policy)."""

MODELS = ("model",)

TEAM_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "promote": ("data-scientist", "release-manager"),
    "promote.production": ("release-manager",),  # separation of duties: the author cannot release
    "request": ("data-scientist",),
    "approve": ("reviewer",),
    "reject": ("reviewer",),
    "rollback": ("release-manager",),
    "retire": ("release-manager",),
    "force": ("release-manager",),
    "set_policy": ("release-manager",),
}
"""Who may do what in the team of :data:`tests.support.users.TEAM`; derive variants with ``{**TEAM_PERMISSIONS, ...}``
(a value of ``None`` drops the action, which then is open to everybody)."""

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: str) -> str:
    return k if _BARE_KEY.fullmatch(k) else json.dumps(k)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {v!r}")


def _table(name: str, values: Mapping[str, Any], *, array: bool = False) -> list[str]:
    head = f"[[{name}]]" if array else f"[{name}]"
    return [head] + [f"{_key(k)} = {_value(v)}" for k, v in values.items() if v is not None]


def gate(type: str, *, name: str | None = None, kinds: Sequence[str] | None = None, **options: Any) -> dict[str, Any]:
    """One gate check: ``gate("soak", kinds=MODELS, hours=24)``; options are written in the order given."""
    return {"name": name, "type": type, "kinds": list(kinds) if kinds is not None else None, **options}


def metric(threshold: str, *, kinds: Sequence[str] | None = MODELS, name: str | None = None) -> dict[str, Any]:
    """A metric check with one ``threshold`` (``"accuracy >= 0.9"``)."""
    return gate("metric", name=name, kinds=kinds, threshold=threshold)


def approvals(
    role: str = "reviewer", count: int | None = None, *, name: str | None = None, kinds: Sequence[str] | None = MODELS
) -> dict[str, Any]:
    """``count`` (default: the check's default, 1) distinct users holding ``role`` must approve; the author's
    own approval never counts."""
    return gate("approvals", name=name, kinds=kinds, role=role, count=count)


def _users(users: Iterable[Principal] | Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    if isinstance(users, Mapping):
        return {name: list(roles) for name, roles in users.items()}
    return {p.name: list(p.roles) for p in users}


def build_policy(
    *,
    stages: Mapping[str, Sequence[str]] | None = STAGES,
    transitions: Mapping[str, Any] | None = None,
    users: Iterable[Principal] | Mapping[str, Sequence[str]] | None = None,
    everyone: Sequence[str] | None = None,
    permissions: Mapping[str, Sequence[str] | None] | None = None,
    gates: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    monitoring: Mapping[str, Any] | None = None,
    keys: Mapping[str, str] | None = None,
    require_signatures: bool | None = None,
) -> str:
    """The policy text: ``stages`` (kind -> order; None leaves the table out), ``transitions``, ``users``
    (principals or name -> roles), ``everyone`` (the roles of ``"*"``), ``permissions`` (action -> roles),
    ``gates`` (stage -> checks built with :func:`gate`, :func:`metric`, :func:`approvals`), ``monitoring``,
    ``keys`` (user -> public key line: those users take the ``{ roles = [...], key = "..." }`` form) and
    ``require_signatures`` (the ``[identity]`` table)."""
    lines = ["version = 1"]
    if stages is not None:
        lines += _table("stages", {k: list(v) for k, v in stages.items()})
    if transitions is not None:
        lines += _table("transitions", transitions)
    if users is not None or everyone is not None:
        table: dict[str, Any] = _users(users or {})
        if everyone is not None:
            table["*"] = list(everyone)
        for name, key in (keys or {}).items():
            table[name] = {"roles": table.get(name, []), "key": key}
        lines += _table("users", table)
    if require_signatures is not None:
        lines += _table("identity", {"require_signatures": require_signatures})
    if permissions is not None:
        lines += _table("permissions", {k: list(v) for k, v in permissions.items() if v is not None})
    for stage, checks in (gates or {}).items():
        for check in checks:
            lines += _table(f"gates.{stage}", check, array=True)
    if monitoring is not None:
        lines += _table("monitoring", monitoring)
    return "\n".join(lines) + "\n"


def team_policy(
    *,
    permissions: Mapping[str, Sequence[str] | None] | None = None,
    gates: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    **options: Any,
) -> str:
    """The team's policy used by the server and browser tests: alice builds, bob and carol review, carol releases,
    everybody else views; entering staging needs ``accuracy >= 0.9`` and one reviewer's approval.
    ``permissions`` are merged into :data:`TEAM_PERMISSIONS`; ``gates`` replace the staging gates."""
    return build_policy(
        users=options.pop("users", TEAM),
        everyone=options.pop("everyone", ("viewer",)),
        permissions={**TEAM_PERMISSIONS, **(permissions or {})},
        gates=gates
        if gates is not None
        else {
            "staging": [gate("metric", kinds=MODELS, thresholds=["accuracy >= 0.9"]), approvals("reviewer", count=1)]
        },
        **options,
    )
