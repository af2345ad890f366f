"""The ``%%track`` cell magic and the ``%lifecycle`` line magic: parse, call the service, display.

Errors from lifecycle_ext become ``UsageError`` in exactly one place (:func:`_translated`). Exceptions raised
by the tracked cell itself propagate unchanged, so the notebook shows the normal traceback.
"""

from __future__ import annotations

import argparse
import ast
import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments

from .session import MagicSession

__all__ = ["LifecycleMagics"]


@contextmanager
def _translated() -> Iterator[None]:
    """The one place lifecycle errors become UsageError (a clear line, no traceback)."""
    from ..core.errors import LifecycleError

    try:
        yield
    except LifecycleError as exc:
        raise UsageError(f"{type(exc).__name__}: {exc}") from None
    except OSError as exc:
        raise UsageError(f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # the object store's client (botocore) has its own error classes
        from ..storage.options import object_store_error

        message = object_store_error(exc)
        if message is None:
            raise
        raise UsageError(message) from None


def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def _notebook_path(ip: Any) -> str | None:
    ns = ip.user_ns
    for key in ("__session__", "__vsc_ipynb_file__"):
        if isinstance(ns.get(key), str) and ns[key]:
            return str(ns[key])
    return os.environ.get("JPY_SESSION_NAME") or None


def _plain_python(cell: str) -> bool:
    """True when IPython's input transformations cannot change the cell (no magics, shell escapes, help
    syntax, pasted prompts or leading indentation), so the costly ``transform_cell`` can be skipped."""
    return not any(ch in cell for ch in "%!?") and ">>>" not in cell and "In [" not in cell and not cell[:1].isspace()


@magics_class
class LifecycleMagics(Magics):
    def __init__(self, shell: Any, session: MagicSession | None = None, catalogue: Any = None) -> None:
        super().__init__(shell)
        self.session = session or MagicSession()
        self.catalogue = catalogue  # the action catalogue (None: the real one); tests pass a copy
        self._parser: argparse.ArgumentParser | None = None
        self.cell_hooks: Any = None  # the dataflow hooks after every cell (set by ``load``)

    # -- %lifecycle ----------------------------------------------------------------------------------
    @line_magic
    def lifecycle(self, line: str) -> None:
        """%lifecycle COMMAND [ARGS]: registry, assets, get, versions, lineage, load, reproduce, verify, ...

        Run ``%lifecycle --help`` or ``%lifecycle COMMAND --help`` for the arguments."""
        from ..cli.commands import build_parser, commands, storage_options
        from .magic_commands import MAGIC_COMMANDS

        if self._parser is None:
            self._parser = build_parser("%lifecycle", extra=MAGIC_COMMANDS, catalogue=self.catalogue)
        try:
            args = self._parser.parse_args(shlex.split(line))
        except argparse.ArgumentError as exc:
            raise UsageError(str(exc)) from None
        except ValueError as exc:  # shlex: unbalanced quotes
            raise UsageError(f"%lifecycle: {exc}") from None
        except SystemExit:  # --help printed
            return
        if not args.command:
            self._parser.print_help()
            return
        cmd = MAGIC_COMMANDS.get(args.command) or commands(self.catalogue)[args.command]
        with _translated():
            reg = None
            if args.command in MAGIC_COMMANDS:
                result = cmd.run(self, args)
            else:
                reg = self.session.registry(args.registry, storage_options(args)) if cmd.needs_registry else None
                result = cmd.run(reg, args)
        if args.json:
            print(cmd.to_json(result, reg, args))
        else:
            _display(self._widget_for(result, reg) or result)

    def _widget_for(self, result: Any, reg: Any) -> Any:
        """In a kernel with a widget frontend, show gates, diffs, lineage and listings as interactive widgets
        (their HTML stays in the output for viewers without widget JavaScript); elsewhere, plain views."""
        if reg is None or getattr(self.shell, "kernel", None) is None:
            return None
        from ..widgets.display import widget_for
        from ..widgets.progress import enable_progress

        enable_progress()
        return widget_for(result, reg)

    # -- %%track -------------------------------------------------------------------------------------
    @magic_arguments()
    @argument(
        "-o",
        "--output",
        action="append",
        default=[],
        metavar="VAR=KIND:NAME",
        help="save VAR as a new version of KIND:NAME after the cell succeeds (repeatable)",
    )
    @argument("--params", metavar="VAR", default=None, help="dict of parameters attached to the outputs")
    @argument("--metrics", metavar="VAR", default=None, help="dict of metrics attached to the outputs")
    @argument("--seed", type=int, default=None, help="seed random, numpy and torch (if imported) first")
    @argument("--tag", action="append", default=[], help="tag for the new versions (repeatable)")
    @argument("-m", "--note", default="", help="a note recorded with the new versions")
    @argument(
        "--kind-meta",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="creation-record field, e.g. label=churn, source=crm, annotators=3 (repeatable)",
    )
    @argument(
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="metadata of the new versions, read by the gates, e.g. licence=CC-BY-4.0, pii=false (repeatable)",
    )
    @argument("--source", default=None, help="where the data came from (a dataset's declared source)")
    @argument("--key", default=None, metavar="COLUMN", help="row key column of a dataset output")
    @argument("--label", action="append", default=[], metavar="COLUMN", help="label column of a dataset output")
    @argument("--schema", default=None, metavar="REF", help="label_schema version the labels follow")
    @argument("--dry-run", action="store_true", help="capture and show, save nothing")
    @cell_magic
    def track(self, line: str, cell: str) -> Any:
        """Run the cell, capture its provenance and save the ``-o`` variables with their creation records."""
        from ..provenance.tracker import TrackedRun, TrackSpec

        try:  # shlex (POSIX quoting) so that -m "a note" loses its quotes, unlike parse_argstring
            a = self.track.parser.parse_args(shlex.split(line))
        except ValueError as exc:
            raise UsageError(f"%%track: {exc}") from None
        with _translated():
            spec = TrackSpec.from_args(
                a.output,
                a.params,
                a.metrics,
                a.seed,
                a.tag,
                a.note,
                a.kind_meta,
                a.dry_run,
                metadata=a.metadata,
                source=a.source,
                key=a.key,
                label=a.label,
                schema=a.schema,
            )
        ip = self.shell
        python_source = cell if _plain_python(cell) else ip.transform_cell(cell)
        # the In[n] of this cell (IPython 9 has already advanced execution_count; prompt_count is n)
        count = getattr(ip.displayhook, "prompt_count", ip.execution_count)
        run = TrackedRun(cell, spec, execution_count=count, notebook=_notebook_path(ip), python_source=python_source)
        reg = None
        if spec.outputs and not spec.dry_run:
            with _translated():
                reg = self.session.registry()
        location = reg.location if reg is not None else None
        filename = ip.compile.cache(python_source, count)
        try:
            tree = ip.compile.ast_parse(python_source, filename=filename)
        except SyntaxError:
            tree = None  # _execute re-raises it as the cell's error
        flow = None
        if tree is not None:
            from ..provenance.dataflow import CellFlow

            flow = CellFlow(self.session.identity, tree)
            flow.before(ip.user_ns)
        s = self.session
        run.start(ip.user_ns, s.lookup(location), tree=tree, derived=s.derived(location), loads=s.loads(location))
        try:
            value = self._execute(python_source, tree, filename)
        except BaseException as exc:
            run.finish(exc)
            self._summary(run, "failed", error=f"the cell raised {run.error}; nothing was saved")
            raise
        finally:
            if flow is not None:
                flow.after(ip.user_ns)
        run.finish(None)
        if spec.dry_run:
            env = self.session.environment()
            record = {**run.base_record(), "environment": {k: v for k, v in env.items() if k != "packages"}}
            self._summary(run, "dry-run", record=record)
        elif not spec.outputs:
            self._summary(run, "no outputs")
        else:
            try:
                with _translated():
                    env_blob, env_summary = self.session.env_blob(reg)
                    created = run.save(
                        reg,
                        ip.user_ns,
                        env_blob=env_blob,
                        env_summary=env_summary,
                        remember=self.session.remember(location or ""),
                    )
            except UsageError as exc:
                self._summary(run, "not saved", error=str(exc))
                raise UsageError(f"%%track: the cell ran, but {exc}") from None
            self._summary(run, "saved", created=created)
        return value

    def _execute(self, source: str, tree: ast.Module | None, filename: str) -> Any:
        """Run the cell like IPython does (AST transformers, the cell's own source in tracebacks); return the
        value of a trailing expression so it is displayed as the cell's result."""
        ip = self.shell
        if tree is None:
            tree = ip.compile.ast_parse(source, filename=filename)  # raises the SyntaxError
        tree = ip.transform_ast(tree)
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        glob, loc = ip.user_global_ns, ip.user_ns
        exec(ip.compile(tree, filename, "exec"), glob, loc)  # noqa: S102 - the user's own cell
        if last is not None:
            return eval(ip.compile(last, filename, "eval"), glob, loc)  # noqa: S307
        return None

    def _summary(
        self,
        run: Any,
        status: str,
        *,
        created: list[dict[str, Any]] | None = None,
        error: str | None = None,
        record: dict[str, Any] | None = None,
    ) -> None:
        from IPython.display import display

        from ..registry.views.provenance import TrackSummary

        s = TrackSummary(
            status=status,
            duration_s=run.duration,
            created=created or [],
            inputs=run.reads.inputs,
            derived=run.reads.derived,
            loaded=run.loaded,
            seeds=run.seeds,
            configs=list(run.reads.configs),
            uncaptured=run.reads.uncaptured,
            error=error,
            record=record,
        )
        # a raw bundle skips the formatter machinery: this runs after every tracked cell
        display({"text/plain": repr(s), "text/html": s._repr_html_()}, raw=True)
