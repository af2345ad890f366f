"""The subcommands of the ``lifecycle`` CLI and the ``%lifecycle`` magic, generated from the action catalogue.

Each catalogue action (:mod:`lifecycle_ext.registry.actions`) becomes one subcommand: its positional arguments
are positional, the others ``--options``; the subcommand is spelled with dashes (``request-promotion``) and
answers to the underscore spelling and the action's older names too (``request_promotion``, ``request``).
``--json``, ``--registry/-R``, ``--storage-option KEY=VALUE``, ``--endpoint-url`` and ``--traceback`` are
accepted before or after the subcommand; :func:`storage_options` turns the storage ones into the options
``open_registry`` takes.

Surface-only commands (the magic's ``registry`` and ``load``) are :class:`Command` objects passed as
``extra``. CLI-only adjustments of an action (reading ``monitor --batch`` from a file, ``lineage --up``) live
in :mod:`.adapters`. Rendering stays with the surfaces.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from ..registry.actions import CATALOGUE, Action, Arg, Catalogue, cli_name

__all__ = ["Command", "commands", "build_parser", "command_for", "storage_options"]


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    setup: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Any, argparse.Namespace], Any]
    needs_registry: bool = True
    exit_code: Callable[[Any], int] | None = None  # CLI exit status from the result (gates: 1 = failed)
    aliases: tuple[str, ...] = ()
    action: Action | None = None  # the catalogue entry this command runs (None: surface-only)

    def values(self, ns: argparse.Namespace) -> dict[str, Any]:
        """The action's argument values from parsed ``ns`` (argument name -> value)."""
        if self.action is None:
            return {}
        return {a.name: getattr(ns, a.name) for a in self.action.args if hasattr(ns, a.name)}

    def to_json(self, result: Any, reg: Any, ns: argparse.Namespace) -> str:
        """``result`` as JSON text, in the one shape every surface uses."""
        from ..registry.serialize import dumps, result_json

        return dumps(result_json(self.action, result, reg, self.values(ns)))


def commands(catalogue: Catalogue | None = None) -> dict[str, Command]:
    """One :class:`Command` per action of ``catalogue`` (default: the real one), by action name."""
    return {a.name: command_for(a) for a in (CATALOGUE if catalogue is None else catalogue)}


def command_for(action: Action) -> Command:
    from .adapters import ADAPTERS, EXTRA_SETUP

    adapt = ADAPTERS.get(action.name)
    extra_setup = EXTRA_SETUP.get(action.name)

    def setup(p: argparse.ArgumentParser) -> None:
        for arg in action.args:
            _add_argument(p, arg)
        if extra_setup is not None:
            extra_setup(p)

    def run(reg: Any, ns: argparse.Namespace) -> Any:
        from ..core.errors import GateFailed

        values = {a.name: getattr(ns, a.name) for a in action.args if hasattr(ns, a.name)}
        if adapt is not None:
            values = adapt(values)
        try:
            return action.call(reg, values)
        except GateFailed as exc:  # refused by its gates: show the report (passed is False: exit 1)
            if exc.report is None:
                raise
            return exc.report

    exit_code = None
    verdict = action.result.verdict
    if verdict is not None:
        exit_code = lambda r: 0 if getattr(r, verdict, True) is not False else 1  # noqa: E731

    aliases = _aliases(action)
    return Command(action.name, action.help, setup, run, exit_code=exit_code, aliases=aliases, action=action)


def _aliases(action: Action) -> tuple[str, ...]:
    """Every one-word spelling besides the dashed name: the underscore one and the older names."""
    out: list[str] = []
    for name in (action.name, *action.aliases):
        for spelling in (name, cli_name(name), name.replace("-", "_")):
            if " " not in spelling and spelling != cli_name(action.name) and spelling not in out:
                out.append(spelling)
    return tuple(out)


_TYPES: dict[type, Callable[[str], Any] | None] = {str: None, int: int, float: float}


def _add_argument(p: argparse.ArgumentParser, arg: Arg) -> None:
    kw: dict[str, Any] = {"help": arg.help or None}
    if arg.metavar:
        kw["metavar"] = arg.metavar
    if arg.type is bool:
        p.add_argument(f"--{cli_name(arg.name)}", *arg.flags, dest=arg.name, action="store_true", **kw)
        return
    convert = _TYPES.get(arg.type, arg.type)  # Path and other one-argument constructors convert as they are
    if convert is not None:
        kw["type"] = convert
    if arg.choices:
        kw["choices"] = arg.choices
    if arg.positional:
        if not arg.required:
            kw["nargs"] = "?"
            kw["default"] = arg.default
        p.add_argument(arg.name, **kw)
        return
    if arg.repeat:
        kw["action"] = "append"
    kw["default"] = arg.default
    if arg.required:
        kw["required"] = True
    p.add_argument(f"--{cli_name(arg.name)}", *arg.flags, dest=arg.name, **kw)


class _Parser(argparse.ArgumentParser):
    """An argparse parser that raises instead of exiting, so the magic can turn errors into UsageError."""

    def error(self, message: str) -> NoReturn:
        raise argparse.ArgumentError(None, f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            raise argparse.ArgumentError(None, message.strip())
        raise SystemExit(status)


class _Root(_Parser):
    """The top parser: rewrites two-word old spellings (``policy set FILE``) to their action first."""

    two_words: dict[tuple[str, str], str]

    def parse_known_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]  # one signature for argparse's overloads
        if args is not None:
            args = _two_words(list(args), self.two_words)
        return super().parse_known_args(args, namespace)


def _two_words(argv: list[str], two_words: dict[tuple[str, str], str]) -> list[str]:
    i = 0
    while i < len(argv):
        tok = argv[i]
        if tok in _VALUED:
            i += 2
            continue
        if tok.startswith("-"):
            i += 1
            continue
        if i + 1 < len(argv) and (tok, argv[i + 1]) in two_words:
            return [*argv[:i], two_words[(tok, argv[i + 1])], *argv[i + 2 :]]
        return argv
    return argv


_VALUED = ("-R", "--registry", "--storage-option", "--endpoint-url")  # global options followed by a value


def storage_options(ns: argparse.Namespace) -> dict[str, Any]:
    """The storage options given on the command line, before and after the subcommand (``open_registry`` lays
    them over ``$LIFECYCLE_STORAGE_OPTIONS``, key by key)."""
    from ..storage.options import from_pairs

    pairs = [*(getattr(ns, "storage_option", None) or ()), *(getattr(ns, "storage_option_after", None) or ())]
    return from_pairs(pairs, endpoint_url=getattr(ns, "endpoint_url", None))


def _global_options(p: argparse.ArgumentParser, *, default: Any) -> None:
    """The options every command accepts, before the subcommand (``default``) or after it (SUPPRESS)."""
    p.add_argument(
        "--registry",
        "-R",
        default=default,
        help="registry folder or URL (default: $LIFECYCLE_REGISTRY or ./.lifecycle)",
    )
    p.add_argument(
        "--storage-option",
        # the subcommand's parser fills a namespace of its own that replaces same-named values: its own list
        dest="storage_option" if default is None else "storage_option_after",
        action="append",
        default=default,
        metavar="KEY=VALUE",
        help="an option of the registry URL's object store, repeatable; dotted keys nest "
        "(client_kwargs.region_name=eu-west-1); values are JSON when they parse, else text "
        "(over those of $LIFECYCLE_STORAGE_OPTIONS, a JSON object)",
    )
    p.add_argument(
        "--endpoint-url",
        default=default,
        metavar="URL",
        help="the object store's endpoint (S3-compatible servers): client_kwargs.endpoint_url=URL",
    )
    p.add_argument(
        "--json", action="store_true", default=False if default is None else default, help="print machine-readable JSON"
    )
    p.add_argument(
        "--traceback",
        action="store_true",
        default=False if default is None else default,
        help="show the full traceback on errors",
    )


def build_parser(
    prog: str, extra: dict[str, Command] | None = None, *, catalogue: Catalogue | None = None
) -> argparse.ArgumentParser:
    """The parser for every action of ``catalogue`` (default: the real one) plus ``extra`` surface-only
    commands (the magic's). ``parse_args(...).command`` is the action's name whatever spelling was used."""
    parser = _Root(prog=prog, description="Lifecycle of AI assets: versions, gates, promotion, audit.")
    parser.two_words = {}
    _global_options(parser, default=None)
    parser.set_defaults(command=None)
    sub = parser.add_subparsers(dest="_spelling", metavar="COMMAND", parser_class=_Parser)
    for cmd in {**commands(catalogue), **(extra or {})}.values():
        two = [old for old in (cmd.action.aliases if cmd.action else ()) if " " in old]
        text = cmd.help + (f" (also: {', '.join(two)})" if two else "")
        p = sub.add_parser(cli_name(cmd.name), aliases=list(cmd.aliases), help=text, description=text)
        cmd.setup(p)
        _global_options(p, default=argparse.SUPPRESS)
        p.set_defaults(command=cmd.name)
        if cmd.action is not None:
            for old in cmd.action.aliases:
                words = old.split()
                if len(words) == 2:
                    parser.two_words[(words[0], words[1])] = cli_name(cmd.name)
    return parser
