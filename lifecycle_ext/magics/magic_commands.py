"""Subcommands only the ``%lifecycle`` magic has (they act on the kernel): ``registry`` and ``load``.

Their ``run(magics, args)`` receives the magics instance (session + shell) instead of a registry.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from ..cli.commands import Command, storage_options
from ..core.errors import UsageInputError

__all__ = ["MAGIC_COMMANDS", "LoadResult"]


class LoadResult:
    def __init__(self, ref: str, var: str, obj: Any) -> None:
        self.ref, self.var, self.type = ref, var, type(obj).__name__

    def __repr__(self) -> str:
        return f"loaded {self.ref} into {self.var} ({self.type})"

    def _repr_html_(self) -> str:
        from ..registry.views.html import esc

        return f"loaded <b>{esc(self.ref)}</b> into <code>{esc(self.var)}</code> ({esc(self.type)})"


def _registry_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("location", nargs="?", default=None, help="folder or URL to switch to (omit to show)")


def _registry(m: Any, a: argparse.Namespace) -> Any:
    if a.location is not None:
        return m.session.switch(a.location, storage_options(a))
    return m.session.registry()


def _load_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", help="KIND:NAME@VERSION (KIND:NAME for the latest)")
    p.add_argument("rest", nargs="*", metavar="as VAR", help="variable to bind (default: the asset's name)")


def _default_var(name: str) -> str:
    var = re.sub(r"\W", "_", name)
    return var if var.isidentifier() else f"_{var}"


def _load(m: Any, a: argparse.Namespace) -> Any:
    if a.rest and (len(a.rest) != 2 or a.rest[0] != "as"):
        raise UsageInputError(f"expected `load REF as VAR`, got extra words {' '.join(a.rest)!r}")
    reg = m.session.registry(a.registry, storage_options(a))
    rec = reg.resolve(a.ref)
    exact = f"{rec['kind']}:{rec['name']}@{rec['number']}"
    var = a.rest[1] if a.rest else _default_var(rec["name"])
    if not var.isidentifier():
        raise UsageInputError(f"{var!r} is not a valid variable name")
    obj = reg.load(exact)  # the load hook records it in the identity map
    m.shell.user_ns[var] = obj
    return LoadResult(exact, var, obj)


MAGIC_COMMANDS: dict[str, Command] = {
    "registry": Command("registry", "show or switch the registry the magics use", _registry_setup, _registry),
    "load": Command("load", "load a version into a variable (recorded as a lineage input)", _load_setup, _load),
}
