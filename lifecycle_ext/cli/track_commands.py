"""Provenance subcommands shared by the CLI and ``%lifecycle``: reproduce, environment."""

from __future__ import annotations

import argparse
from typing import Any

from .commands import command


def _ref_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", help="KIND:NAME@VERSION of a version created by %%track")


@command("reproduce", "re-run a tracked version's captured cell and compare content hashes", _ref_setup)
def _reproduce(reg: Any, a: argparse.Namespace) -> Any:
    return reg.reproduce(a.ref)


@command("environment", "the environment captured when a tracked version was created", _ref_setup)
def _environment(reg: Any, a: argparse.Namespace) -> Any:
    return reg.environment(a.ref)
