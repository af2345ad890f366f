"""Notebook dataflow: objects computed from registry versions inherit their lineage, cell after cell.

A cell is read statement by statement from its AST (top-level statements; a ``for``/``with``/``if`` block is one
step). Each step's bound names inherit the lineage of the names it reads; ``obj.method(...)`` as a statement
(``clf.fit(X, y)``) and ``obj[...] = ...`` / ``obj.attr = ...`` count as mutating ``obj``, which then carries the
lineage of what the step read as well. Function and class bodies are not followed (a function is code, not
data). Lineage is looked up before the cell runs (so ``df = df.dropna()`` keeps the old frame's lineage) and
written after it ran as *derived* entries of the identity map (:mod:`lifecycle_ext.registry.object_refs`).

The magics call :meth:`CellFlow.before` / :meth:`CellFlow.after` around every cell (IPython's ``pre_run_cell``
and ``post_run_cell`` events) and around the body of ``%%track``. Nothing here imports IPython.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..registry.object_refs import IdentityMap

__all__ = ["Step", "cell_steps", "CellFlow"]

_OPAQUE = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
Pairs = frozenset[tuple[str, str]]
_EMPTY: Pairs = frozenset()


@dataclass(frozen=True)
class Step:
    reads: tuple[str, ...]
    binds: tuple[str, ...]
    mutates: tuple[str, ...]


def _base_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _step(stmt: ast.stmt) -> Step:
    reads: dict[str, None] = {}
    binds: dict[str, None] = {}
    mutates: dict[str, None] = {}
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return Step((), (), ())
    if isinstance(stmt, _OPAQUE):
        return Step((), (stmt.name,), ())  # the def binds its name to code, derived from nothing
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name):
            (binds if isinstance(node.ctx, ast.Store) else reads)[node.id] = None
        elif isinstance(node, _OPAQUE):
            continue
        elif isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store):
            base = _base_name(node)
            if base is not None:
                mutates[base] = None
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            base = _base_name(node.value.func) if isinstance(node.value.func, ast.Attribute) else None
            if base is not None:
                mutates[base] = None
        todo.extend(ast.iter_child_nodes(node))
    return Step(tuple(reads), tuple(binds), tuple(m for m in mutates if m not in binds))


def cell_steps(tree: ast.Module) -> list[Step]:
    """One :class:`Step` per top-level statement of the cell."""
    return [_step(s) for s in tree.body]


class CellFlow:
    """Lineage propagation for one cell: ``before(ns)`` ahead of running it, ``after(ns)`` once it ran."""

    def __init__(self, identity: IdentityMap, tree: ast.Module) -> None:
        self.identity = identity
        self.steps = cell_steps(tree)
        self._pre: dict[str, Pairs] = {}

    def before(self, ns: dict[str, Any]) -> None:
        """Look up the lineage of every name the cell reads, while it still names the object it had."""
        lineage = self.identity.lineage
        seen: set[str] = set()
        for step in self.steps:
            for name in step.reads + step.mutates:
                if name in seen:
                    continue
                seen.add(name)
                obj = ns.get(name)
                if obj is not None:
                    pairs = lineage(obj)
                    if pairs:
                        self._pre[name] = frozenset(pairs)

    def after(self, ns: dict[str, Any]) -> dict[str, list[str]]:
        """Write derived entries for the objects the cell bound or mutated; return {name: refs} written."""
        identity = self.identity
        touched: dict[str, None] = {}
        for step in self.steps:
            touched.update(dict.fromkeys(step.binds + step.mutates))
        if not self._pre and not identity:
            return {}
        final: dict[str, Pairs] = {}  # names bound in the cell to an object loaded or saved in it
        for name in touched:
            obj = ns.get(name)
            if obj is not None and identity.lookup(obj) is not None:
                final[name] = frozenset(identity.lineage(obj))
        cur: dict[str, Pairs] = dict(self._pre)
        bound: set[str] = set()
        for step in self.steps:
            src: set[tuple[str, str]] = set()
            for name in step.reads:
                src |= cur.get(name, _EMPTY)
                if name in bound:
                    src |= final.get(name, _EMPTY)
            got = frozenset(src)
            for name in step.binds:
                cur[name] = got
                bound.add(name)
            for name in step.mutates:
                cur[name] = cur.get(name, _EMPTY) | got
        written: dict[str, list[str]] = {}
        for name in touched:
            pairs = cur.get(name)
            obj = ns.get(name)
            if not pairs or obj is None or name in final:
                continue
            if identity.derive(obj, sorted(pairs)):
                written[name] = sorted({r for r, _ in pairs})
        return written
