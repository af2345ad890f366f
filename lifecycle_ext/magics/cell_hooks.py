"""Notebook dataflow after every cell: IPython's ``pre_run_cell``/``post_run_cell`` events drive a
:class:`~lifecycle_ext.provenance.dataflow.CellFlow`, so objects derived from registry versions in untracked cells
(``X_train`` split from a loaded frame, an estimator fitted on it) keep their lineage for a later ``%%track``.

Cell magics are skipped (``%%track`` runs the flow over its own body; other cell magics are not Python).
"""

from __future__ import annotations

import ast
from typing import Any

from ..provenance.dataflow import CellFlow
from ..registry.object_refs import IdentityMap

__all__ = ["CellHooks"]


class CellHooks:
    def __init__(self, ip: Any, identity: IdentityMap) -> None:
        self.ip, self.identity = ip, identity
        self._flow: CellFlow | None = None

    def register(self) -> None:
        self.ip.events.register("pre_run_cell", self.pre_run_cell)
        self.ip.events.register("post_run_cell", self.post_run_cell)

    def unregister(self) -> None:
        for name, fn in (("pre_run_cell", self.pre_run_cell), ("post_run_cell", self.post_run_cell)):
            try:
                self.ip.events.unregister(name, fn)
            except ValueError:
                pass

    def pre_run_cell(self, info: Any) -> None:
        from .lifecycle_magics import _plain_python

        self._flow = None
        src = getattr(info, "raw_cell", None) or ""
        if not src or src.lstrip().startswith("%%"):
            return
        try:
            python = src if _plain_python(src) else self.ip.transform_cell(src)
            tree = ast.parse(python)
        except (SyntaxError, ValueError):
            return  # the cell fails to compile; IPython reports it
        flow = CellFlow(self.identity, tree)
        flow.before(self.ip.user_ns)
        self._flow = flow

    def post_run_cell(self, result: Any) -> None:
        flow, self._flow = self._flow, None
        if flow is not None:
            flow.after(self.ip.user_ns)
