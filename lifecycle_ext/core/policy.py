"""The promotion policy: ``lifecycle.toml`` parsed and validated into a :class:`Policy` value object.

The file format is documented in ``docs/policy.md``. Parsing uses :mod:`tomllib`; every error is a
:class:`PolicyError` naming the line (syntax errors from tomllib's ``lineno``; semantic errors such as an
unknown check type, a bad threshold or an unknown stage by locating the offending key in the text).

Check types live in one table (:data:`CHECK_TYPES` in :mod:`.gates`); this module only asks it whether a type
exists and lets it validate the check's options.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from .errors import PolicyError

__all__ = [
    "Policy",
    "Check",
    "parse_policy",
    "default_policy",
    "DEFAULT_POLICY_TEXT",
    "ACTIONS",
    "RETIRED",
    "policy_hash",
    "ANYONE",
    "GUARDED_ACTIONS",
    "user_key",
]

RETIRED = "retired"
ANYONE = "*"
ACTIONS = ("promote", "request", "approve", "reject", "rollback", "retire", "set_policy", "force", "erase")
#: once a policy has a [permissions] table, these actions are denied to everybody unless the table lists them,
#: and so is promotion to a deploy stage unless "promote.STAGE" lists it; the others stay open when not listed
GUARDED_ACTIONS = frozenset({"force", "retire", "rollback", "approve", "reject", "set_policy", "erase"})
_STAGE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{0,63}")
_TOP_KEYS = {
    "version",
    "stages",
    "transitions",
    "users",
    "permissions",
    "gates",
    "monitoring",
    "identity",
    "notify",
    "approvals",
    "retention",
}


def user_key(name: str) -> str:
    """A user name as compared everywhere: Unicode NFC, surrounding whitespace removed (``" bob "`` is ``bob``)."""
    return unicodedata.normalize("NFC", name).strip()


DEFAULT_POLICY_TEXT = """\
# The default policy, in force until reg.set_policy(...) records another one.
# Stages for every kind; datasets use draft -> validated -> production. No gates.
# Everybody may do everything (no [permissions] table).
version = 1

[stages]
default = ["development", "staging", "production"]
dataset = ["draft", "validated", "production"]
"""


def policy_hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Check:
    """One gate check: its ``type``, display ``name``, options and where it was declared."""

    type: str
    name: str
    options: dict[str, Any]
    kinds: tuple[str, ...] | None = None
    line: int | None = None

    def applies_to(self, kind: str) -> bool:
        return self.kinds is None or kind in self.kinds


@dataclass(frozen=True)
class Policy:
    text: str
    hash: str
    stages: dict[str, tuple[str, ...]]
    allow_skip: bool = False
    allow: frozenset[tuple[str, str]] = frozenset()
    users: dict[str, tuple[str, ...]] = field(default_factory=dict)
    permissions: dict[str, tuple[str, ...]] | None = None
    gates: dict[str, tuple[Check, ...]] = field(default_factory=dict)
    monitoring: dict[str, Any] = field(default_factory=dict)  # [monitoring], see core/monitoring_policy.py
    keys: dict[str, str] = field(default_factory=dict)  # user -> public key line ([users] alice = {key = ...})
    require_signatures: bool = False  # [identity] require_signatures

    def key_of(self, user: str) -> str | None:
        """The public key line the policy binds to ``user`` (None: no key)."""
        return self.keys.get(user)

    def user_of_fingerprint(self, fp: str) -> str | None:
        """The user whose bound key has fingerprint ``fp``."""
        from .identity import fingerprint

        return next((u for u, k in self.keys.items() if fingerprint(k) == fp), None)

    notify: dict[str, Any] = field(default_factory=dict)  # [notify], see core/notify_policy.py
    retention: dict[str, Any] = field(default_factory=dict)  # [retention], see core/retention_policy.py
    approvals_need_request: bool = True  # [approvals] require_request: approve only an open request

    # -- stages --------------------------------------------------------------------------------------
    def stages_for(self, kind: str) -> tuple[str, ...]:
        return self.stages.get(kind) or self.stages["default"]

    def all_stages(self) -> set[str]:
        return {s for ss in self.stages.values() for s in ss}

    def deploy_stage(self, kind: str) -> str:
        """The last stage of the kind's order: entering it writes a deployment record."""
        return self.stages_for(kind)[-1]

    def next_stage(self, kind: str, current: str | None) -> str | None:
        order = self.stages_for(kind)
        if current is None:
            return order[0]
        if current not in order:
            return None
        i = order.index(current)
        return order[i + 1] if i + 1 < len(order) else None

    def transition_problem(self, kind: str, current: str | None, to: str) -> str | None:
        """None if moving a ``kind`` version from ``current`` (None: unstaged) to ``to`` is allowed."""
        order = self.stages_for(kind)
        if to == RETIRED:
            return "use retire() to retire a version; 'retired' is not a promotion target"
        if to not in order:
            return f"{to!r} is not a stage for {kind}s; stages are {' -> '.join(order)}"
        if current == to:
            return f"the version is already at {to}"
        if (current or "(unstaged)", to) in self.allow:
            return None
        if current is not None and current not in order:
            return f"the version is at {current!r}, which this policy does not list for {kind}s"
        i = -1 if current is None else order.index(current)
        j = order.index(to)
        if j < i:
            return f"moving back from {current} to {to} is not allowed by the policy (add it to transitions.allow)"
        if j > i + 1 and not self.allow_skip:
            return (
                f"{to} skips {', '.join(order[i + 1 : j])}; promote through each stage in order "
                f"({' -> '.join(order)}) or allow it in [transitions]"
            )
        return None

    # -- identity and roles ----------------------------------------------------------------------------
    def roles_of(self, user: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.users.get(user_key(user), ()) + self.users.get(ANYONE, ())))

    def roles_for(self, action: str, stage: str | None = None) -> tuple[str, ...]:
        """Roles allowed to do ``action`` (``("*",)`` means anybody)."""
        if self.permissions is None:
            return (ANYONE,)
        if stage is not None and f"{action}.{stage}" in self.permissions:
            return self.permissions[f"{action}.{stage}"]
        if action == "promote" and stage in {order[-1] for order in self.stages.values()}:
            return ()  # promotion to a deploy stage needs its own "promote.STAGE" entry
        if action in self.permissions:
            return self.permissions[action]
        return () if action in GUARDED_ACTIONS else (ANYONE,)

    def allows(self, user: str, action: str, stage: str | None = None) -> bool:
        allowed = self.roles_for(action, stage)
        return ANYONE in allowed or bool(set(allowed) & set(self.roles_of(user)))

    def gates_for(self, stage: str, kind: str) -> tuple[Check, ...]:
        return tuple(c for c in self.gates.get(stage, ()) if c.applies_to(kind))

    def to_dict(self) -> dict[str, Any]:
        return {
            "hash": self.hash,
            "stages": {k: list(v) for k, v in self.stages.items()},
            "allow_skip": self.allow_skip,
            "allow": sorted(f"{a} -> {b}" for a, b in self.allow),
            "users": {k: list(v) for k, v in self.users.items()},
            "keys": dict(self.keys),
            "require_signatures": self.require_signatures,
            "permissions": None if self.permissions is None else {k: list(v) for k, v in self.permissions.items()},
            "gates": {s: [{"type": c.type, "name": c.name, **c.options} for c in cs] for s, cs in self.gates.items()},
        }


# -- parsing -------------------------------------------------------------------------------------------
def _line_of(text: str, key: str, *, table: str | None = None, occurrence: int = 0) -> int | None:
    """1-based line of ``key = ...`` inside ``[table]`` (the ``occurrence``-th ``[[table]]``), else the header."""
    lines = text.splitlines()
    current: str | None = None
    seen = -1
    header_line: int | None = None
    for n, raw in enumerate(lines, 1):
        s = raw.split("#", 1)[0].strip()
        m = re.fullmatch(r"\[\[?\s*([^\]]+?)\s*\]\]?", s)
        if m:
            current = m.group(1).replace('"', "").replace(" ", "")
            if table is not None and current == table:
                seen += 1
                if seen == occurrence:
                    header_line = n
            continue
        in_table = table is None or (current == table and seen == occurrence)
        if in_table and re.match(rf'"?{re.escape(key)}"?\s*=', s):
            return n
    return header_line


def _str_list(value: Any, what: str, line: int | None) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PolicyError(f"{what} must be a list of non-empty strings, got {value!r}", line)
    return tuple(value)


def parse_policy(text: str) -> Policy:
    """Parse and validate policy text; raise :class:`PolicyError` with the line of the first problem."""
    from .gates import CHECK_TYPES  # the open registry of check types

    if not isinstance(text, str):
        raise PolicyError(f"policy must be TOML text, not {type(text).__name__}")
    if len(text) > 1024 * 1024:
        raise PolicyError(f"the policy is {len(text):,} characters long; the limit is 1,048,576")
    try:
        doc = tomllib.loads(text)
    except RecursionError:
        raise PolicyError("the policy nests tables or arrays too deeply to be a policy") from None
    except tomllib.TOMLDecodeError as exc:
        # Python >= 3.14 sets exc.lineno; older versions only say "(at line N, column M)" in the message
        line = getattr(exc, "lineno", None)
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        if line is None and m:
            line = int(m.group(1))
        elif line is None and "(at end of document)" in str(exc):
            line = max(1, len(text.splitlines()))
        msg = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        raise PolicyError(f"not valid TOML: {msg}", line) from None
    for key in doc:
        if key not in _TOP_KEYS:
            raise PolicyError(
                f"unknown top-level key {key!r}; expected one of {', '.join(sorted(_TOP_KEYS))}",
                _line_of(text, key) or _line_of(text, "", table=key),
            )
    version = doc.get("version", 1)
    if version != 1:
        raise PolicyError(
            f"policy version {version!r} is not supported (this program reads version 1)", _line_of(text, "version")
        )

    # stages
    raw_stages = doc.get(
        "stages", {"default": ["development", "staging", "production"], "dataset": ["draft", "validated", "production"]}
    )
    if not isinstance(raw_stages, dict):
        raise PolicyError("[stages] must be a table of KIND = [stage, ...]", _line_of(text, "stages"))
    stages: dict[str, tuple[str, ...]] = {}
    for kind, lst in raw_stages.items():
        line = _line_of(text, kind, table="stages")
        names = _str_list(lst, f"stages.{kind}", line)
        if not names:
            raise PolicyError(f"stages.{kind} is empty", line)
        for s in names:
            if not _STAGE_RE.fullmatch(s):
                raise PolicyError(f"stage name {s!r} must start with a letter and use letters, digits, - and _", line)
            if s == RETIRED:
                raise PolicyError("'retired' is the implicit terminal stage; do not list it", line)
        if len(set(names)) != len(names):
            raise PolicyError(f"stages.{kind} lists a stage twice: {list(names)}", line)
        stages[kind] = names
    stages.setdefault("default", ("development", "staging", "production"))
    known = {s for ss in stages.values() for s in ss}

    # transitions
    tr = doc.get("transitions", {})
    if not isinstance(tr, dict):
        raise PolicyError("[transitions] must be a table", _line_of(text, "transitions"))
    for key in tr:
        if key not in ("allow_skip", "allow"):
            raise PolicyError(
                f"unknown key transitions.{key}; expected allow_skip or allow", _line_of(text, key, table="transitions")
            )
    allow_skip = tr.get("allow_skip", False)
    if not isinstance(allow_skip, bool):
        raise PolicyError(
            "transitions.allow_skip must be true or false", _line_of(text, "allow_skip", table="transitions")
        )
    allow: set[tuple[str, str]] = set()
    line = _line_of(text, "allow", table="transitions")
    for item in _str_list(tr.get("allow", []), "transitions.allow", line):
        a, arrow, b = item.partition("->")
        a, b = a.strip(), b.strip()
        if not arrow or not a or not b:
            raise PolicyError(f"transition {item!r} must look like 'staging -> development'", line)
        for s in (a, b):
            if s not in known and s != "(unstaged)":
                raise PolicyError(f"transition {item!r} names unknown stage {s!r}; stages are {sorted(known)}", line)
        allow.add((a, b))

    # users and permissions
    users_raw = doc.get("users", {})
    if not isinstance(users_raw, dict):
        raise PolicyError("[users] must be a table of USER = [role, ...]", _line_of(text, "users"))
    users: dict[str, tuple[str, ...]] = {}
    keys: dict[str, str] = {}
    for u, r in users_raw.items():
        uline = _line_of(text, u, table="users")
        name = user_key(u)
        if not name or name in users:
            raise PolicyError(
                f"[users] names {name!r} twice (names are compared without surrounding spaces)"
                if name
                else "[users] has an empty user name",
                uline,
            )
        if isinstance(r, dict):  # alice = { roles = [...], key = "ecdsa-p256:..." }
            unknown = set(r) - {"roles", "key"}
            if unknown:
                raise PolicyError(f"users.{u}: unknown key(s) {sorted(unknown)}; expected roles and key", uline)
            users[name] = _str_list(r.get("roles", []), f"users.{u}.roles", uline) if r.get("roles") != [] else ()
            if "key" in r:
                from .identity import public_key_der

                try:
                    public_key_der(r["key"])
                except ValueError as exc:
                    raise PolicyError(f"users.{u}.key: {exc}", uline) from None
                keys[name] = r["key"].strip()
        else:
            users[name] = _str_list(r, f"users.{u}", uline)
    identity = doc.get("identity", {})
    if not isinstance(identity, dict) or set(identity) - {"require_signatures"}:
        raise PolicyError("[identity] takes only require_signatures = true|false", _line_of(text, "", table="identity"))
    require_signatures = identity.get("require_signatures", False)
    if not isinstance(require_signatures, bool):
        raise PolicyError("identity.require_signatures must be true or false", _line_of(text, "require_signatures"))
    if require_signatures and not keys:
        raise PolicyError(
            "identity.require_signatures = true but no user has a key: nobody could act; bind keys in [users] "
            '(alice = { roles = [...], key = "ecdsa-p256:..." })',
            _line_of(text, "require_signatures", table="identity"),
        )
    permissions: dict[str, tuple[str, ...]] | None = None
    if "permissions" in doc:
        if not isinstance(doc["permissions"], dict):
            raise PolicyError("[permissions] must be a table of ACTION = [role, ...]", _line_of(text, "permissions"))
        permissions = {}
        for action, roles in doc["permissions"].items():
            line = _line_of(text, action, table="permissions")
            base, _, stage = action.partition(".")
            if base not in ACTIONS:
                raise PolicyError(f"unknown action {base!r} in [permissions]; actions are {', '.join(ACTIONS)}", line)
            if stage and stage not in known:
                raise PolicyError(
                    f"permission {action!r} names unknown stage {stage!r}; stages are {sorted(known)}", line
                )
            permissions[action] = _str_list(roles, f"permissions.{action}", line) if roles != [] else ()
        if permissions.get("set_policy", ()) == ():
            raise PolicyError(
                "permissions.set_policy is missing or empty: with a [permissions] table the guarded actions "
                f"({', '.join(sorted(GUARDED_ACTIONS))}, promotion to the last stage) are denied unless listed, "
                'so nobody could ever change this policy again; list who may (set_policy = ["admin"])',
                _line_of(text, "set_policy", table="permissions"),  # else the [permissions] header
            )

    # gates
    gates_raw = doc.get("gates", {})
    if not isinstance(gates_raw, dict):
        raise PolicyError("[gates] must hold one [[gates.STAGE]] list of checks per stage", _line_of(text, "gates"))
    gates: dict[str, tuple[Check, ...]] = {}
    for stage, checks in gates_raw.items():
        table = f"gates.{stage}"
        if stage not in known:
            raise PolicyError(
                f"gates for unknown stage {stage!r}; stages are {sorted(known)}",
                _line_of(text, "", table=table) or _line_of(text, stage, table="gates"),
            )
        if isinstance(checks, dict):
            checks = [checks]
        if not isinstance(checks, list):
            raise PolicyError(
                f"{table} must be a list of checks ([[{table}]] tables)", _line_of(text, stage, table="gates")
            )
        out = []
        check_names: set[str] = set()
        for i, chk in enumerate(checks):
            hdr = _line_of(text, "", table=table, occurrence=i)
            if not isinstance(chk, dict):
                raise PolicyError(f"each check in {table} must be a table with a 'type'", hdr)
            opts = dict(chk)
            ctype = opts.pop("type", None)
            tline = _line_of(text, "type", table=table, occurrence=i) or hdr
            if ctype not in CHECK_TYPES:
                raise PolicyError(
                    f"unknown check type {ctype!r} in {table}; known types: {', '.join(sorted(CHECK_TYPES))}", tline
                )
            name = opts.pop("name", None) or ctype
            if not isinstance(name, str):
                raise PolicyError(f"check name must be a string, got {name!r}", tline)
            if name in check_names:
                name = f"{name}#{i + 1}"
            check_names.add(name)
            kinds = opts.pop("kinds", None)
            if kinds is not None:
                kinds = _str_list(kinds, f"{table}.kinds", _line_of(text, "kinds", table=table, occurrence=i) or hdr)
            try:
                CHECK_TYPES[ctype].validate(opts, known)
            except (ValueError, TypeError, KeyError) as exc:
                bad_key = getattr(exc, "key", None)
                opt_line = (_line_of(text, bad_key, table=table, occurrence=i) if bad_key else None) or tline
                raise PolicyError(f"{table} check {name!r}: {exc}", opt_line) from None
            out.append(Check(ctype, name, opts, kinds, tline))
        gates[stage] = tuple(out)

    # monitoring thresholds and the response to alerts (core/monitoring_policy.py)
    from .monitoring_policy import POLICY_ACTOR, parse_monitoring

    monitoring = parse_monitoring(doc.get("monitoring"), text)
    if monitoring["on_alert"] == "rollback" and permissions is not None:
        allowed = permissions.get(f"rollback.{monitoring['stage']}", permissions.get("rollback", ()))
        if ANYONE not in allowed and not set(allowed) & set(users.get(POLICY_ACTOR, ()) + users.get(ANYONE, ())):
            raise PolicyError(
                f'monitoring.on_alert = "rollback" acts as user {POLICY_ACTOR!r}, which has no role '
                f"allowed to roll back ({' or '.join(allowed) or 'nobody'}); add it to [users]",
                _line_of(text, "on_alert", table="monitoring"),
            )
    from .notify_policy import parse_notify

    notify = parse_notify(doc.get("notify"), text)
    from .retention_policy import parse_retention

    retention = parse_retention(doc.get("retention"))
    approvals = doc.get("approvals", {})
    if not isinstance(approvals, dict) or set(approvals) - {"require_request"}:
        raise PolicyError(
            "[approvals] takes one key: require_request = true|false", _line_of(text, "", table="approvals")
        )
    need_request = approvals.get("require_request", True)
    if not isinstance(need_request, bool):
        raise PolicyError(
            "approvals.require_request must be true or false", _line_of(text, "require_request", table="approvals")
        )
    return Policy(
        text=text,
        hash=policy_hash(text),
        stages=stages,
        allow_skip=allow_skip,
        allow=frozenset(allow),
        users=users,
        permissions=permissions,
        gates=gates,
        monitoring=monitoring,
        keys=keys,
        require_signatures=require_signatures,
        notify=notify,
        approvals_need_request=need_request,
        retention=retention,
    )


_DEFAULT: Policy | None = None


def default_policy() -> Policy:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = parse_policy(DEFAULT_POLICY_TEXT)
    return _DEFAULT
