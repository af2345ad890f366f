"""Subcommands for the looking-at views: metric history, browse, allowed actions, the rich audit trail."""

from __future__ import annotations

import argparse
from typing import Any

from .commands import command


def _history_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="KIND:NAME (or NAME when unique)")
    p.add_argument("--metric", action="append", default=None, help="only this metric (repeatable)")


@command("metric_history", "metrics across the versions of an asset, and the stages each reached", _history_setup)
def _history(reg: Any, a: argparse.Namespace) -> Any:
    return reg.metric_history(a.name, a.metric)


def _browse_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", nargs="?", default=None, help="model, dataset, label_schema, ...")
    p.add_argument("--name", default=None, help="KIND:NAME contains this text")
    p.add_argument("--tag", default=None, help="versions with this tag")
    p.add_argument("--metadata", default=None, help="versions whose metadata has KEY or KEY=VALUE")


@command("browse", "assets by kind with their versions and stages, filtered", _browse_setup)
def _browse(reg: Any, a: argparse.Namespace) -> Any:
    return reg.browse(a.kind, name=a.name, tag=a.tag, metadata=a.metadata)


def _allowed_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", help="KIND:NAME@VERSION")
    p.add_argument("--to", default=None, help="target stage (default: the next one)")


@command("permissions", "what the acting user may do with a version, and why not", _allowed_setup)
def _permissions(reg: Any, a: argparse.Namespace) -> Any:
    return reg.permissions(a.ref, to=a.to)


def _audit_view_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", nargs="?", default=None, help="only events about this asset or version")


@command("audit_view", "the audit trail with stage badges and evidence", _audit_view_setup)
def _audit_view(reg: Any, a: argparse.Namespace) -> Any:
    return reg.audit_view(a.ref)
