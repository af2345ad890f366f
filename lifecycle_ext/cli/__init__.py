"""The ``lifecycle`` command line: the same subcommands as ``%lifecycle``, for CI pipelines.

Exit codes: 0 success, 1 a check failed (e.g. gates or verify), 2 an error (one clear line; ``--traceback``
for more).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    from ..core.errors import LifecycleError
    from .commands import build_parser, commands
    from .keys import CLI_EXTRA
    from .render import render_text

    parser = build_parser("lifecycle", CLI_EXTRA)
    args_list = sys.argv[1:] if argv is None else argv
    try:
        args = parser.parse_args(args_list)
    except argparse.ArgumentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if not args.command:
        parser.print_help()
        return 2
    cmd = {**commands(), **CLI_EXTRA}[args.command]
    try:
        reg = None
        if cmd.needs_registry:
            from .. import open_registry
            from .commands import storage_options

            reg = open_registry(args.registry, **storage_options(args))
        from ..core import progress
        from .progress import enabled, text_factory

        if enabled():
            with progress.listening(text_factory):
                result = cmd.run(reg, args)
        else:
            result = cmd.run(reg, args)
    except (LifecycleError, OSError) as exc:
        if args.traceback:
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # the object store's client (botocore) has its own error classes
        from ..storage.options import object_store_error

        message = object_store_error(exc)
        if message is None or args.traceback:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    try:
        if cmd.action is None:
            from .render import to_json

            text = to_json(result) if args.json else _plain(result)
        else:
            text = cmd.to_json(result, reg, args) if args.json else render_text(result, cmd.name)
        print(text)
        sys.stdout.flush()
        _say_next_page(cmd, result)
    except BrokenPipeError:  # `lifecycle ... | head`: the reader left; not an error of ours
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if cmd.exit_code is not None:
        return cmd.exit_code(result)
    return 0 if getattr(result, "ok", True) is not False else 1


def _say_next_page(cmd: Any, result: Any) -> None:
    """On stderr (stdout stays the list): where the next page of a paged list starts."""
    from ..registry.serialize import next_cursor

    if cmd.action is not None and any(a.name == "cursor" for a in cmd.action.args):
        nxt = next_cursor(result)
        if nxt:
            print(f"more: repeat with --cursor {nxt}", file=sys.stderr)


def _plain(result: Any) -> str:
    """A surface-only command's result: a dict as ``key: value`` lines, the public key line first."""
    if isinstance(result, dict):
        return "\n".join(str(v) if k == "public_key" else f"{k}: {v}" for k, v in result.items())
    return str(result)


def _entry() -> Any:  # pragma: no cover
    sys.exit(main())
