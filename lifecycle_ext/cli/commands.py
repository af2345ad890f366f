"""The subcommand table shared by the ``lifecycle`` CLI and the ``%lifecycle`` magic.

Each command has the same name and arguments on both surfaces and calls one service method. A command is
registered with :func:`command`: ``setup(parser)`` declares arguments, ``run(reg, args)`` returns a result
object (a view model with text/HTML reprs, a DataFrame, or a JSON-able value). Surfaces render it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Command", "command", "COMMANDS", "build_parser"]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    setup: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Any, argparse.Namespace], Any]
    needs_registry: bool = True
    exit_code: Callable[[Any], int] | None = None  # CLI exit status from the result (gates: 1 = failed)


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str, setup: Callable[[argparse.ArgumentParser], None] | None = None, *,
            needs_registry: bool = True, exit_code: Callable[[Any], int] | None = None) -> Callable[..., Any]:
    """Register the decorated ``run(reg, args)`` as subcommand ``name``; ``setup`` declares its arguments."""
    def register(run: Callable[[Any, argparse.Namespace], Any]) -> Callable[[Any, argparse.Namespace], Any]:
        COMMANDS[name] = Command(name, help, setup or (lambda p: None), run, needs_registry, exit_code)
        return run
    return register


class _Parser(argparse.ArgumentParser):
    """An argparse parser that raises instead of exiting, so the magic can turn errors into UsageError."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise argparse.ArgumentError(None, f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> Any:  # type: ignore[override]
        if message:
            raise argparse.ArgumentError(None, message.strip())
        raise SystemExit(status)


def build_parser(prog: str, extra: dict[str, Command] | None = None) -> argparse.ArgumentParser:
    """The parser for every registered command, plus ``extra`` surface-only commands (the magic's)."""
    _load_all()
    parser = _Parser(prog=prog, description="Lifecycle of AI assets: versions, gates, promotion, audit.")
    parser.add_argument("--registry", "-R", default=None, help="registry folder or URL (default: "
                        "$LIFECYCLE_REGISTRY or ./.lifecycle)")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")
    parser.add_argument("--traceback", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for cmd in {**COMMANDS, **(extra or {})}.values():
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.setup(p)
    return parser


def _load_all() -> None:
    """Import the modules that register commands (kept lazy so importing the package stays cheap)."""
    from . import core_commands  # noqa: F401
    for mod in EXTRA_COMMAND_MODULES:
        __import__(mod)


# Other issues add their command modules here (e.g. "lifecycle_ext.cli.promotion_commands").
EXTRA_COMMAND_MODULES: list[str] = [
    "lifecycle_ext.cli.promotion_commands",
    "lifecycle_ext.cli.track_commands",
    "lifecycle_ext.cli.diff_commands",
    "lifecycle_ext.cli.monitor_commands",
    "lifecycle_ext.cli.notebook_commands",
]
