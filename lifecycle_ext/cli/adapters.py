"""Where the command line differs from the catalogue's call: files read for the service, extra spellings.

``monitor REF --batch FILE.parquet|csv`` reads the batch; prediction, latency and error columns of the file are
named with ``--predictions``, ``--latency-ms`` and ``--errors`` (or ``--errors N`` for a count) and taken out of
the batch before drift is measured. It exits 1 when the batch raised an alert (so CI can act on it).
``lineage REF --up`` / ``--down`` are short for ``--direction up|down``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

__all__ = ["ADAPTERS", "EXTRA_SETUP"]


def _monitor(values: dict[str, Any]) -> dict[str, Any]:
    from ..core.errors import UsageInputError
    from ..registry.monitoring.service import _read_batch

    df = _read_batch(str(values["batch"]))
    out = {k: v for k, v in values.items() if k not in ("predictions", "latency_ms", "errors")}
    for key in ("predictions", "latency_ms", "errors"):
        col = values.get(key)
        if col is None:
            continue
        if key == "errors" and col not in df.columns and col.isdigit():
            out[key] = int(col)
            continue
        if col not in df.columns:
            raise UsageInputError(f"--{key.replace('_', '-')}: the batch has no column {col!r}")
        out[key] = df[col].to_numpy()
        df = df.drop(columns=[col])
    out["batch"] = df
    return out


def _lineage_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "--up",
        dest="direction",
        action="store_const",
        const="up",
        default=argparse.SUPPRESS,
        help="same as --direction up",
    )
    g.add_argument(
        "--down",
        dest="direction",
        action="store_const",
        const="down",
        default=argparse.SUPPRESS,
        help="same as --direction down",
    )


#: action name -> turns parsed CLI values into the service call's values
ADAPTERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"monitor": _monitor}
#: action name -> adds CLI-only spellings to its subparser
EXTRA_SETUP: dict[str, Callable[[argparse.ArgumentParser], None]] = {"lineage": _lineage_flags}
