"""Static analysis of a cell's source: the free names it reads and the seed-like literals it contains."""

from __future__ import annotations

import ast
import builtins
import hashlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SourceInfo", "analyse", "source_hash"]

_BUILTINS = frozenset(dir(builtins))
_SEED_KEYWORDS = frozenset({"random_state", "seed", "random_seed", "rng_seed"})
_SEED_CALLS = frozenset(
    {"manual_seed", "seed", "default_rng", "RandomState", "set_seed", "manual_seed_all", "PRNGKey", "Generator"}
)
MAX_SEEDS = 50


@dataclass
class SourceInfo:
    reads: list[str] = field(default_factory=list)  # free names, in first-read order
    binds: list[str] = field(default_factory=list)  # names the cell assigns at top level
    seed_literals: list[dict[str, Any]] = field(default_factory=list)
    syntax_error: str | None = None


def source_hash(source: str) -> str:
    return "sha256:" + hashlib.sha256(source.encode()).hexdigest()


def _stored(node: ast.AST) -> set[str]:
    """Every name bound anywhere inside ``node`` (targets, args, imports, defs)."""
    out: set[str] = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
    return out


def _loads(node: ast.AST) -> list[str]:
    """Names read inside ``node``, in source order; nested scopes drop the names they bind themselves."""
    out: list[str] = []
    scoped = (
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.Lambda,
        ast.ClassDef,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.GeneratorExp,
    )

    def visit(n: ast.AST, local: frozenset[str]) -> None:
        if isinstance(n, scoped):
            local = local | _stored(n)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in local:
            out.append(n.id)
        for child in ast.iter_child_nodes(n):
            visit(child, local)

    visit(node, frozenset())
    return out


def _top_binds(stmt: ast.stmt) -> set[str]:
    """Names a top-level statement binds in the cell's namespace (not inside nested scopes)."""
    out: set[str] = set()
    nested = (
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.Lambda,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.GeneratorExp,
    )

    def visit(n: ast.AST) -> None:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
            return
        if isinstance(n, nested):
            return
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            out.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).split(".")[0] for a in n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(stmt)
    return out


def _seed_literals(tree: ast.AST) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def value_of(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
            return node.value
        return {"expr": ast.unparse(node)[:200]}

    for n in ast.walk(tree):
        if len(found) >= MAX_SEEDS:
            break
        if not isinstance(n, ast.Call):
            continue
        for kw in n.keywords:
            if kw.arg in _SEED_KEYWORDS:
                found.append({"name": kw.arg, "value": value_of(kw.value), "line": kw.value.lineno})
        fname = (
            n.func.attr if isinstance(n.func, ast.Attribute) else n.func.id if isinstance(n.func, ast.Name) else None
        )
        if fname in _SEED_CALLS and n.args:
            found.append({"name": f"{fname}()", "value": value_of(n.args[0]), "line": n.lineno})
    found.sort(key=lambda d: d["line"])
    return found


def analyse(source: str, tree: ast.Module | None = None) -> SourceInfo:
    """Free names read (not bound earlier in the cell), top-level bindings and seed-like literals.

    ``tree`` is the already parsed source, if the caller has it (it is not modified)."""
    if tree is None:
        try:
            tree = ast.parse(source)
        except SyntaxError as exc:
            return SourceInfo(syntax_error=f"{exc.msg} (line {exc.lineno})")
    info = SourceInfo()
    bound: set[str] = set()
    seen: set[str] = set()
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            # the value is evaluated before the targets are bound; x += 1 reads x
            parts: list[ast.AST] = [stmt.value] if stmt.value is not None else []
            if isinstance(stmt, ast.AugAssign):
                parts.append(
                    ast.Name(id=stmt.target.id, ctx=ast.Load()) if isinstance(stmt.target, ast.Name) else stmt.target
                )
            else:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                parts += [t for t in targets if not isinstance(t, ast.Name)]  # obj.attr = / x[i] = read obj, x
            names = [nm for p in parts for nm in _loads(p)]
        else:
            names = _loads(stmt)
        for nm in names:
            if nm not in bound and nm not in seen and nm not in _BUILTINS:
                seen.add(nm)
                info.reads.append(nm)
        new = _top_binds(stmt)
        bound |= new
        info.binds += [b for b in sorted(new) if b not in info.binds]
    info.seed_literals = _seed_literals(tree)
    return info
