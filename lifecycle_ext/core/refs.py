"""References to assets and versions: ``KIND:NAME@VERSION``.

VERSION may be a number (``3`` or ``v3``), ``latest``, a stage or alias name (``production``) or a
content-hash prefix (at least 6 hex digits, optionally written ``xxh3-128:<hex>``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRef

__all__ = [
    "Ref",
    "parse_ref",
    "exact_ref",
    "asset_key",
    "version_ref",
    "validate_name",
    "register_kind",
    "KINDS",
    "MAX_NAME_LENGTH",
]

KINDS: set[str] = {"model", "dataset", "label_schema", "pipeline"}
MAX_NAME_LENGTH = 200
_NAME_RE = re.compile(r"[A-Za-z0-9_.\-/]+")
_KIND_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_LABEL_RE = re.compile(r"[A-Za-z][A-Za-z0-9_\-]{0,63}")
_HEX_RE = re.compile(r"[0-9a-f]{6,32}")
_NUM_RE = re.compile(r"v?([0-9]{1,9})")


def register_kind(kind: str) -> None:
    """Add an asset kind (lowercase identifier) to the kinds references may use."""
    if not _KIND_RE.fullmatch(kind):
        raise InvalidRef(f"kind {kind!r} must be a lowercase identifier of at most 32 characters")
    KINDS.add(kind)


def validate_name(name: str) -> str:
    """Return ``name`` if it is a safe asset name, else raise :class:`InvalidRef` saying why."""
    if not isinstance(name, str) or not name:
        raise InvalidRef("asset name is empty; use letters, digits and -_./")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidRef(f"asset name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}")
    if not _NAME_RE.fullmatch(name):
        bad = sorted({c for c in name if not _NAME_RE.fullmatch(c)})
        raise InvalidRef(f"asset name {name!r} contains {''.join(bad)!r}; allowed are letters, digits and -_./")
    if name.startswith("/") or name.endswith("/"):
        raise InvalidRef(f"asset name {name!r} may not start or end with '/'")
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise InvalidRef(f"asset name {name!r} contains an empty, '.' or '..' path segment")
    return name


def validate_label(value: str, what: str = "stage") -> str:
    """Validate a stage, alias or tag name."""
    if not isinstance(value, str) or not _LABEL_RE.fullmatch(value):
        raise InvalidRef(f"{what} {value!r} must start with a letter and use letters, digits, - and _ (max 64)")
    return value


@dataclass(frozen=True, slots=True)
class Ref:
    """A parsed reference. ``version`` is None when the reference names the asset only."""

    kind: str
    name: str
    version: str | None = None

    @property
    def asset(self) -> str:
        return f"{self.kind}:{self.name}"

    @property
    def number(self) -> int | None:
        """The version number when the selector is numeric (``3`` or ``v3``)."""
        if self.version is None:
            return None
        m = _NUM_RE.fullmatch(self.version)
        return int(m.group(1)) if m else None

    @property
    def hash_prefix(self) -> str | None:
        if self.version is None:
            return None
        v = self.version.removeprefix("xxh3-128:")
        return v if _HEX_RE.fullmatch(v) and self.number is None else None

    def at(self, version: int | str) -> Ref:
        return Ref(self.kind, self.name, str(version))

    def __str__(self) -> str:
        return self.asset if self.version is None else f"{self.asset}@{self.version}"


def parse_ref(text: str | Ref, *, default_kind: str | None = None, require_version: bool = False) -> Ref:
    """Parse ``KIND:NAME[@VERSION]``; raise :class:`InvalidRef` naming the problem."""
    if isinstance(text, Ref):
        return text
    if not isinstance(text, str):
        raise InvalidRef(f"a reference must be a string like 'model:churn@3', not {type(text).__name__}")
    raw = text.strip()
    if not raw:
        raise InvalidRef("empty reference; expected KIND:NAME@VERSION, e.g. 'model:churn@3'")
    body, sep, version = raw.partition("@")
    if sep and not version:
        raise InvalidRef(f"reference {raw!r} has '@' but no version after it")
    if "@" in version:
        raise InvalidRef(f"reference {raw!r} has more than one '@'")
    kind, colon, name = body.partition(":")
    if not colon:
        if default_kind is None:
            raise InvalidRef(f"reference {raw!r} has no kind; write KIND:NAME, KIND one of {sorted(KINDS)}")
        kind, name = default_kind, body
    if kind not in KINDS:
        raise InvalidRef(f"unknown kind {kind!r} in {raw!r}; known kinds: {', '.join(sorted(KINDS))}")
    validate_name(name)
    if sep:
        if not (
            _NUM_RE.fullmatch(version)
            or version == "latest"
            or _LABEL_RE.fullmatch(version)
            or _HEX_RE.fullmatch(version.removeprefix("xxh3-128:"))
        ):
            raise InvalidRef(
                f"version {version!r} in {raw!r} is not a number, 'latest', a stage/alias or a hash prefix"
            )
    elif require_version:
        raise InvalidRef(f"reference {raw!r} needs a version, e.g. {raw}@latest")
    return Ref(kind, name, version if sep else None)


def asset_key(rec: Mapping[str, Any]) -> str:
    """``KIND:NAME`` of a version record."""
    return f"{rec['kind']}:{rec['name']}"


def version_ref(kind: str, name: str, number: int) -> str:
    """``KIND:NAME@N``, the exact reference of one version: the one place this string is spelled."""
    return f"{kind}:{name}@{number}"


def exact_ref(rec: Mapping[str, Any]) -> str:
    """``KIND:NAME@N`` of a version record."""
    return version_ref(rec["kind"], rec["name"], rec["number"])
