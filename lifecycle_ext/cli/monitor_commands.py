"""Monitoring subcommands: monitor, health, drift_history, review, clear_revalidation.

``monitor REF --batch FILE.parquet|csv`` exits 1 when the batch raised an alert (so CI can act on it).
Prediction, latency and error columns of the batch file are named with ``--predictions``, ``--latency-ms``
and ``--errors`` (or ``--errors N`` for a count); they are taken out of the batch before drift is measured.
"""

from __future__ import annotations

import argparse
from typing import Any

from .commands import command


def _monitor_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", help="KIND:NAME@VERSION, or KIND:NAME for the version at the monitored stage")
    p.add_argument("--batch", required=True, help="the production batch (.parquet or .csv)")
    p.add_argument("--predictions", default=None, metavar="COLUMN", help="column holding prediction scores")
    p.add_argument("--latency-ms", dest="latency_ms", default=None, metavar="COLUMN",
                   help="column holding request latencies in milliseconds")
    p.add_argument("--errors", default=None, metavar="COLUMN|N", help="0/1 error column, or a count of errors")
    p.add_argument("--at", default=None, help="observation time (ISO-8601; default now)")


@command("monitor", "record a production batch's drift and health against the baseline", _monitor_setup,
         exit_code=lambda r: 0 if r.ok else 1)
def _monitor(reg: Any, a: argparse.Namespace) -> Any:
    from ..core.errors import UsageInputError
    from ..registry.monitoring.service import _read_batch

    df = _read_batch(a.batch)
    extras: dict[str, Any] = {}
    for opt, key in (("predictions", "predictions"), ("latency_ms", "latency_ms"), ("errors", "errors")):
        col = getattr(a, opt)
        if col is None:
            continue
        if key == "errors" and col not in df.columns and col.isdigit():
            extras[key] = int(col)
            continue
        if col not in df.columns:
            raise UsageInputError(f"--{opt.replace('_', '-')}: the batch has no column {col!r}")
        extras[key] = df[col].to_numpy()
        df = df.drop(columns=[col])
    return reg.monitor(a.ref, df, at=a.at, **extras)


def _name_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="KIND:NAME (or NAME when unique)")


@command("health", "production health: latest drift per feature, trend, open alerts", _name_setup,
         exit_code=lambda r: 0 if r.ok else 1)
def _health(reg: Any, a: argparse.Namespace) -> Any:
    return reg.health(a.name)


def _history_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="KIND:NAME for every batch, or KIND:NAME@VERSION for one version's")


@command("drift_history", "monitored batches in order, with drift per feature", _history_setup)
def _drift_history(reg: Any, a: argparse.Namespace) -> Any:
    return reg.drift_history(a.name)


def _review_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref")
    p.add_argument("--summary", required=True, help="what happened after release")
    p.add_argument("--lessons", action="append", default=None, help="a lesson learned (repeatable)")
    p.add_argument("--criteria-changes", dest="criteria_changes", action="append", default=None,
                   help="a change to the acceptance criteria or policy (repeatable)")


@command("review", "record a post-release review of a version", _review_setup)
def _review(reg: Any, a: argparse.Namespace) -> Any:
    return reg.review(a.ref, summary=a.summary, lessons=a.lessons, criteria_changes=a.criteria_changes)


def _clear_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref")
    p.add_argument("--reason", required=True, help="what was checked before clearing")


@command("clear_revalidation", "clear a version's revalidation-required mark after an alert", _clear_setup)
def _clear(reg: Any, a: argparse.Namespace) -> Any:
    return reg.clear_revalidation(a.ref, reason=a.reason)
