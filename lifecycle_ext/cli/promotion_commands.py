"""Promotion subcommands: gates, promote, request, approve, reject, pending, rollback, retire, audit, explain,
deployment and policy (``policy show``, ``policy set FILE``).

``gates`` exits 0 when every check passes, 1 when one fails or is pending, 2 on error. ``promote`` whose gates
refuse exits 1 and prints the report (the refusal is recorded in the audit trail).
"""

from __future__ import annotations

import argparse
from typing import Any

from .commands import command


def _common(p: argparse.ArgumentParser, *, ref: str | None = "ref", to: bool = True, reason: bool = True) -> None:
    if ref:
        p.add_argument(ref, help="KIND:NAME@VERSION" if ref == "ref" else "KIND:NAME (or NAME when unique)")
    if to:
        p.add_argument("--to", default=None, help="target stage (default: the next stage)")
    if reason:
        p.add_argument("--reason", "-r", default="", help="why (recorded in the audit trail)")
    # accepted after the subcommand too (``lifecycle gates REF --to production --json``)
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON")


def _gates_setup(p: argparse.ArgumentParser) -> None:
    _common(p, reason=False)


def _gates_exit(report: Any) -> int:
    return 0 if report.passed else 1


@command("gates", "evaluate the gates for promoting a version (exit 0 pass, 1 fail, 2 error)", _gates_setup,
         exit_code=_gates_exit)
def _gates(reg: Any, a: argparse.Namespace) -> Any:
    return reg.gates(a.ref, to=a.to)


def _promote_setup(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--force", action="store_true", help="promote despite failing checks (allowed roles only; "
                   "needs --reason; recorded as an override)")
    p.add_argument("--known-limitations", default=None, help="required when entering production")


@command("promote", "promote a version to a stage if its gates pass", _promote_setup)
def _promote(reg: Any, a: argparse.Namespace) -> Any:
    from ..core.errors import GateFailed

    try:
        return reg.promote(a.ref, to=a.to, reason=a.reason, force=a.force, known_limitations=a.known_limitations)
    except GateFailed as exc:
        return exc.report  # passed is False: the CLI exits 1; the refusal is already recorded


@command("request_promotion", "request the promotion of a version to a stage", lambda p: _common(p))
def _request(reg: Any, a: argparse.Namespace) -> Any:
    return reg.request_promotion(a.ref, to=a.to, reason=a.reason)


@command("approve", "approve the promotion of a version", lambda p: _common(p))
def _approve(reg: Any, a: argparse.Namespace) -> Any:
    return reg.approve(a.ref, to=a.to, reason=a.reason)


@command("reject", "reject the promotion of a version (needs --reason)", lambda p: _common(p))
def _reject(reg: Any, a: argparse.Namespace) -> Any:
    return reg.reject(a.ref, to=a.to, reason=a.reason)


@command("pending", "requests awaiting approval and completed soak periods",
         lambda p: _common(p, ref=None, to=False, reason=False))
def _pending(reg: Any, a: argparse.Namespace) -> Any:
    return reg.pending()


@command("rollback", "restore the previous production version", lambda p: _common(p, ref="name", to=False))
def _rollback(reg: Any, a: argparse.Namespace) -> Any:
    return reg.rollback(a.name, reason=a.reason)


def _retire_setup(p: argparse.ArgumentParser) -> None:
    _common(p, to=False)
    p.add_argument("--replaced-by", default=None, help="the version that replaces it")


@command("retire", "retire a version (stays loadable, never promoted again)", _retire_setup)
def _retire(reg: Any, a: argparse.Namespace) -> Any:
    return reg.retire(a.ref, reason=a.reason, replaced_by=a.replaced_by)


def _audit_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("ref", nargs="?", default=None, help="only events about this asset or version")
    p.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON")


@command("audit", "the audit trail of every recorded event", _audit_setup)
def _audit(reg: Any, a: argparse.Namespace) -> Any:
    return reg.audit(a.ref)


@command("explain", "why a version was chosen and what changed since the one before",
         lambda p: _common(p, to=False, reason=False))
def _explain(reg: Any, a: argparse.Namespace) -> Any:
    return reg.explain(a.ref)


@command("deployment", "the deployment record of a version (or of what is deployed now)",
         lambda p: _common(p, ref="ref_or_name", to=False, reason=False))
def _deployment(reg: Any, a: argparse.Namespace) -> Any:
    return reg.deployment(a.ref_or_name)


def _policy_setup(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="policy_action", metavar="ACTION")
    show = sub.add_parser("show", help="print the policy in force")
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    s = sub.add_parser("set", help="validate and record a new policy file")
    s.add_argument("file", help="path to lifecycle.toml")
    s.add_argument("--reason", "-r", default="")
    s.add_argument("--json", action="store_true", default=argparse.SUPPRESS)


@command("policy", "show the policy in force, or set a new one (policy show | policy set FILE)", _policy_setup)
def _policy(reg: Any, a: argparse.Namespace) -> Any:
    if getattr(a, "policy_action", None) == "set":
        from pathlib import Path
        return reg.set_policy(Path(a.file), reason=a.reason)
    return reg.policy()
