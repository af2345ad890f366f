"""Registry-core subcommands: info, ls, show, versions, lineage, verify, gc, tag."""

from __future__ import annotations

import argparse
from typing import Any

from .commands import command


@command("info", "where the registry is and what it holds")
def _info(reg: Any, a: argparse.Namespace) -> Any:
    return reg.info()


def _ls_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", nargs="?", default=None, help="model, dataset, label_schema, pipeline, ...")


@command("ls", "list assets (optionally of one kind)", _ls_setup)
def _ls(reg: Any, a: argparse.Namespace) -> Any:
    return reg.assets(kind=a.kind)


def _show_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", help="KIND:NAME@VERSION")


@command("show", "show one version's record", _show_setup)
def _show(reg: Any, a: argparse.Namespace) -> Any:
    return reg.get(a.ref)


def _versions_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="KIND:NAME (or NAME when unique)")


@command("versions", "list the versions of an asset", _versions_setup)
def _versions(reg: Any, a: argparse.Namespace) -> Any:
    return reg.versions(a.name)


def _lineage_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--up", dest="direction", action="store_const", const="up")
    g.add_argument("--down", dest="direction", action="store_const", const="down")
    p.add_argument("--depth", type=int, default=None)


@command("lineage", "upstream and downstream lineage of a version", _lineage_setup)
def _lineage(reg: Any, a: argparse.Namespace) -> Any:
    return reg.lineage(a.ref, direction=a.direction or "both", depth=a.depth)


def _verify_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", nargs="?", default=None)


@command("verify", "rehash stored content and walk the event chain", _verify_setup)
def _verify(reg: Any, a: argparse.Namespace) -> Any:
    return reg.verify(a.ref)


def _gc_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("--grace-seconds", type=float, default=3600.0)
    p.add_argument("--dry-run", action="store_true")


@command("gc", "remove blobs no version references", _gc_setup)
def _gc(reg: Any, a: argparse.Namespace) -> Any:
    return reg.gc(grace_seconds=a.grace_seconds, dry_run=a.dry_run)


def _tag_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref")
    p.add_argument("tag")


@command("tag", "add a tag to a version", _tag_setup)
def _tag(reg: Any, a: argparse.Namespace) -> Any:
    return reg.tag(a.ref, a.tag)
