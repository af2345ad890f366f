"""Diff and dataset subcommands: ``diff A B``, ``corrections REF``, ``schema-impact REF``."""

from __future__ import annotations

import argparse
from typing import Any

from .commands import command


def _diff_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", help="KIND:NAME@VERSION (the old version)")
    p.add_argument("b", help="KIND:NAME@VERSION (the new version)")


@command("diff", "what changed between two versions (models, datasets, label schemas, data)", _diff_setup)
def _diff(reg: Any, a: argparse.Namespace) -> Any:
    return reg.diff(a.a, a.b)


def _ref_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", help="KIND:NAME@VERSION")


@command("corrections", "the label-correction history of a dataset", _ref_setup)
def _corrections(reg: Any, a: argparse.Namespace) -> Any:
    return reg.corrections(a.ref)


@command("schema_impact", "datasets and models affected by a label-schema version's retroactive changes",
         _ref_setup)
def _schema_impact(reg: Any, a: argparse.Namespace) -> Any:
    return reg.schema_impact(a.ref)
